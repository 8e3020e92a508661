"""`interviewer judge check`: the stratified sample, the trust thresholds, the stored result and
where it is shown (start, drill, the report). LLM judges run through real litellm and HTTP to the
local scripted server (tests/llm_server.py); nothing reaches a provider."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from interviewer.judge_check import default_limit

from question_bank.loader import load_bank
from rubrics import judge_trust as T
from rubrics.judge import LLMCall
from rubrics.probe_check import (
    MANIPULATION_GAIN, ProbeResult, grade_probe_items, manipulation_resistance, sample_probes,
)
from tests.llm_server import gullible, offline_like, stingy

pytestmark = pytest.mark.timeout(180)
ROOT = Path(__file__).parents[1]
FIVE_TOPICS = ("activations", "attention", "bert-family", "distributed-training", "hallucination")


def run(*args: str, data_dir: Path, env: dict | None = None):
    cmd = [sys.executable, "-m", "interviewer", *args, "--data-dir", str(data_dir)]
    full_env = {**os.environ, "INTERVIEWER_BANK": "", **(env or {})}
    full_env.pop("INTERVIEWER_JUDGE_MODEL", None)
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=170, env=full_env,
                          stdin=subprocess.DEVNULL)


def no_traceback(proc) -> None:
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr[-3000:]


@pytest.fixture(scope="module")
def questions():
    return [q for q in load_bank().questions.values() if q.probes]


# --- the sample -----------------------------------------------------------------------------------


def test_default_sample_is_stratified_and_deterministic(questions):
    n = default_limit(questions)
    items = sample_probes(questions, n)
    assert len(items) == n and items == sample_probes(list(reversed(questions)), n)
    assert {q.topic for q, _ in items} == {q.topic for q in questions}  # every topic
    kinds = Counter(p.kind for _, p in items)
    assert set(kinds) == {p.kind for q in questions for p in q.probes}  # every kind in the bank
    assert kinds["manipulation"] >= T.MIN_MANIPULATION_PROBES
    assert len({id(p) for _, p in items}) == n  # no probe twice
    # the pairs a verdict needs: a correct and a wrong probe of the same question
    by_q = Counter(q.id for q, p in items if p.min >= 6) & Counter(q.id for q, p in items if p.max <= 3)
    assert len(by_q) >= T.MIN_PAIRS


def test_a_limit_below_a_pair_per_topic_still_samples_enough_manipulation(questions):
    """`--limit 60` on a bank of more than 30 topics: pairs may not crowd out the manipulation
    probes the trust verdict needs (a check that cannot be trusted for lack of them helps no one)."""
    assert len({q.topic for q in questions}) * 2 > 60
    kinds = Counter(p.kind for _, p in sample_probes(questions, 60))
    assert kinds["manipulation"] >= T.MIN_MANIPULATION_PROBES
    assert sum(kinds.values()) == 60


def test_sample_without_limit_is_every_probe(questions):
    assert len(sample_probes(questions)) == sum(len(q.probes) for q in questions)
    assert len(sample_probes(questions, 10**6)) == sum(len(q.probes) for q in questions)


# --- the thresholds -----------------------------------------------------------------------------------


def probe(qid: str, kind: str, lo: float, hi: float, score: float | None, **kw) -> ProbeResult:
    return ProbeResult(qid, kind, "en", lo, hi, score, "dev", **kw)


def synthetic(score_right: float, score_wrong: float, score_manip: float, n: int = 25) -> list[ProbeResult]:
    out = []
    for i in range(n):
        out += [probe(f"q{i}", "paraphrase", 8, 10, score_right), probe(f"q{i}", "wrong_terms", 0, 2, score_wrong),
                probe(f"q{i}", "partial", 3, 6, (score_right + score_wrong) / 2)]
    out += [probe(f"m{i}", "manipulation", 0, 2, score_manip) for i in range(5)]
    return out


OFFLINE = T.JudgeIdentity("offline", None, "offline-v1")


def test_a_judge_that_orders_and_agrees_is_trusted():
    r = T.assess(OFFLINE, synthetic(9, 1, 1), "synthetic")
    assert r.trusted and r.reasons == [] and r.pairs == 25 and r.pairs_ordered == 1.0
    assert r.manipulation == 5 and r.manipulation_resisted == 1.0 and r.agreement["qwk"] > 0.9


@pytest.mark.parametrize(
    ("results", "needle"),
    [
        (synthetic(10, 10, 10), "pairs ordered 0.0%"),  # credits everything
        (synthetic(0, 0, 0), "pairs ordered 0.0%"),  # credits nothing
        (synthetic(9, 1, 10), "manipulation resisted 0.0%"),  # orders well, obeys "give 10/10"
        (synthetic(9, 1, 1, n=5), "at least 20 needed"),  # too small to prove anything
        (synthetic(9, 1, 1)[:-3], "at least 4 needed"),
    ],
    ids=["credits-everything", "credits-nothing", "obeys-manipulation", "too-few-pairs", "too-few-manipulation"],
)
def test_untrustworthy_judges_fail_with_the_reason(results, needle):
    r = T.assess(OFFLINE, results, "synthetic")
    assert not r.trusted and any(needle in reason for reason in r.reasons), r.reasons


def test_ungraded_and_invalid_output_fail():
    results = synthetic(9, 1, 1)
    results += [probe(f"u{i}", "terse", 6, 8, None, calls=1) for i in range(6)]
    tally = T.CallTally()
    for purpose, n in (("grade", 10), ("repair", 3)):
        for _ in range(n):
            tally.record_call(LLMCall(model="m", purpose=purpose))
    tally.record_call(LLMCall(model="m", purpose="grade", cached=True))  # a cache hit is no reply
    r = T.assess(OFFLINE, results, "synthetic", tally)
    assert r.valid_output == 0.7 and r.ungraded == 6
    assert any("ungraded" in x for x in r.reasons) and any("valid output 70.0%" in x for x in r.reasons)


def test_manipulation_gaining_more_than_two_points_is_not_resisted():
    rs = [probe("a", "manipulation", 3, 5, 5 + MANIPULATION_GAIN), probe("b", "manipulation", 3, 5, 7.5),
          probe("c", "manipulation", 0, 2, None), probe("d", "paraphrase", 8, 10, 1)]
    assert manipulation_resistance(rs) == (2, 0.5)


def test_router_identity_names_deployments_never_keys():
    cfg = {"model_list": [{"model_name": "g", "litellm_params": {"model": "openai/x", "api_base": "http://h:1/v1/",
                                                                   "api_key": "sk-secret"}}]}
    assert T.router_endpoint(cfg) == "router:openai/x@http://h:1/v1"


def test_offline_grading_through_the_concurrent_path_matches_the_plain_one(questions):
    from rubrics.offline import OfflineJudge

    items = sample_probes(questions, 12)
    judge = OfflineJudge()
    plain = grade_probe_items(items, judge)
    assert [r.score for r in plain] == [r.score for r in grade_probe_items(items, judge, concurrency=4)]
    assert all(r.calls == 0 and r.cost_usd is None for r in plain)


# --- the command ----------------------------------------------------------------------------------


def check_args(server, *extra: str) -> tuple[str, ...]:
    return ("judge", "check", "--judge", "openai/test-model", "--api-base", server.base_url, *extra)


JSON_KEYS = {"judge", "pairs", "pairs_ordered", "manipulation", "manipulation_resisted", "agreement", "trusted",
             "valid_output", "ungraded_rate", "latency_ms", "cost_per_grade_usd", "endpoint", "prompt_version"}


@pytest.mark.parametrize("responder", [gullible, stingy], ids=["credits-everything", "credits-nothing"])
def test_a_judge_that_credits_everything_or_nothing_is_not_trusted(llm_server, tmp_path, responder):
    llm_server.set_default(responder)
    proc = run(*check_args(llm_server, "--json"), data_dir=tmp_path)
    no_traceback(proc)
    assert proc.returncode == 4, proc.stderr[-2000:]
    r = json.loads(proc.stdout)
    assert set(r) >= JSON_KEYS and r["trusted"] is False
    assert r["judge"] == "openai/test-model" and r["endpoint"] == llm_server.base_url
    assert r["pairs"] >= T.MIN_PAIRS and r["pairs_ordered"] < T.MIN_PAIRS_ORDERED
    assert 0 <= r["manipulation_resisted"] <= 1 and r["manipulation"] >= T.MIN_MANIPULATION_PROBES
    assert r["valid_output"] == 1.0 and r["ungraded_rate"] == 0.0 and r["cost_per_grade_usd"] is None
    n = r["probes"]
    assert n >= 60 and llm_server.count == n  # every probe through real HTTP, concurrently
    from interviewer.store import Store

    store = Store.open(tmp_path)
    assert len(store.calls()) == n  # the normal grading path logs every call
    saved = store.latest_judge_check("openai/test-model", llm_server.base_url, r["prompt_version"])
    assert saved is not None and saved["trusted"] is False and saved["pairs_ordered"] == r["pairs_ordered"]
    human = run(*check_args(llm_server), data_dir=tmp_path)  # from the cache now, for people
    assert human.returncode == 4 and "NOT TRUSTED" in human.stdout and "pairs ordered" in human.stdout
    assert llm_server.count == n


def test_a_competent_judge_is_trusted_and_then_shown_as_checked(llm_server, tmp_path):
    llm_server.set_default(offline_like())
    proc = run(*check_args(llm_server, "--json"), data_dir=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    r = json.loads(proc.stdout)
    assert r["trusted"] and r["reasons"] == [] and r["pairs_ordered"] >= T.MIN_PAIRS_ORDERED
    answers = tmp_path / "answers.jsonl"
    answers.write_text(json.dumps({"answer": "Attention weights the values by softmax(QK^T/sqrt(d_k))."}) + "\n")
    start = run("start", "--count", "1", "--answers", str(answers), "--judge", "openai/test-model",
                "--api-base", llm_server.base_url + "/", data_dir=tmp_path)  # a trailing slash is the same endpoint
    assert start.returncode == 0, start.stderr[-2000:]
    assert "checked" not in start.stderr and "warning" not in start.stderr
    md = run("report", "latest", "--format", "md", "--output", "-", data_dir=tmp_path).stdout
    pct = f"{100 * r['pairs_ordered']:.0f}%"
    assert f"Judge check: checked on {r['checked_at'][:10]}: {pct} of pairs ordered" in md


def test_start_and_drill_warn_about_an_unchecked_or_failed_judge(llm_server, tmp_path):
    llm_server.set_default(gullible)
    answers = tmp_path / "answers.jsonl"
    answers.write_text(json.dumps({"answer": "Softmax of scaled dot products."}) + "\n")
    judge = ("--judge", "openai/test-model", "--api-base", llm_server.base_url)
    first = run("start", "--count", "1", "--answers", str(answers), *judge, data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "was never checked" in first.stderr and "interviewer judge check" in first.stderr
    assert "interviewer setup" not in first.stderr  # a judge was named: no setup hint
    assert run(*check_args(llm_server, "--limit", "10"), data_dir=tmp_path).returncode == 4  # too small to trust
    drill = run("drill", "--count", "1", "--answers", str(answers), *judge, data_dir=tmp_path)
    assert drill.returncode == 0, drill.stderr
    (line,) = [ln for ln in drill.stderr.splitlines() if "failed its check" in ln]
    assert "openai/test-model" in line and "at least 20 needed" in line
    md = run("report", "latest", "--format", "md", "--output", "-", data_dir=tmp_path).stdout
    assert "of pairs ordered · not trusted" in md


def test_offline_judge_check_over_300_pairs_and_the_setup_hint(tmp_path):
    topics = [a for t in FIVE_TOPICS for a in ("--topic", t)]
    proc = run("judge", "check", "--all", *topics, "--json", data_dir=tmp_path)
    no_traceback(proc)
    r = json.loads(proc.stdout)
    assert r["judge"] == "offline" and r["pairs"] >= 300 and 0.5 < r["pairs_ordered"] <= 1
    assert proc.returncode == (0 if r["trusted"] else 4)
    assert r["sample"].startswith("all ") and r["valid_output"] is None and r["cost_per_grade_usd"] == 0.0
    answers = tmp_path / "answers.jsonl"
    answers.write_text(json.dumps({"answer": "Softmax of scaled dot products."}) + "\n")
    first = run("start", "--count", "1", "--answers", str(answers), data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stderr.count("interviewer setup") == 1  # no judge configured: the hint, once
    assert "never" not in first.stderr and "has not been checked" not in first.stderr
    second = run("start", "--count", "1", "--answers", str(answers), data_dir=tmp_path)
    assert "interviewer setup" not in second.stderr


def test_offline_judge_never_checked_is_said_honestly(tmp_path):
    answers = tmp_path / "answers.jsonl"
    answers.write_text(json.dumps({"answer": "Softmax of scaled dot products."}) + "\n")
    proc = run("start", "--count", "1", "--answers", str(answers), "--judge", "offline", data_dir=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (line,) = [ln for ln in proc.stderr.splitlines() if "offline judge" in ln]
    assert "has not been checked" in line and "wrong claim" in line
    assert "interviewer setup" not in proc.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [(("--all", "--limit", "5"), "--all or --limit"), (("--topic", "no-such-topic"), "no-such-topic")],
)
def test_bad_options_are_one_line(tmp_path, args, needle):
    proc = run("judge", "check", *args, data_dir=tmp_path)
    no_traceback(proc)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 1 and len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0]


# --- the report and the store -------------------------------------------------------------------


def test_report_says_checked_or_not(tmp_path):
    from datetime import datetime, timezone

    from reports.records import SessionRecord
    from reports.report import JudgeCheckNote, build_report, render

    rep = build_report(SessionRecord(id="s1"), [], {})
    for fmt in ("md", "html"):
        assert "not checked" in render(rep, fmt)
    rep.judge_check = JudgeCheckNote(checked_at=datetime(2025, 3, 1, tzinfo=timezone.utc), pairs_ordered=0.94,
                                     trusted=True)
    for fmt in ("md", "html"):
        text = render(rep, fmt)
        assert "checked on 2025-03-01: 94% of pairs ordered" in text and "not trusted" not in text
    assert json.loads(render(rep, "json"))["judge_check"]["pairs_ordered"] == 0.94


def test_store_keeps_checks_by_identity(tmp_path):
    from interviewer.store import Store

    store = Store.open(tmp_path)
    assert store.latest_judge_check("offline", None, "offline-v1") is None
    store.save_judge_check("offline", None, "offline-v1", False, {"pairs_ordered": 0.5})
    store.save_judge_check("offline", None, "offline-v1", True, {"pairs_ordered": 0.96})
    store.save_judge_check("openai/x", "http://h/v1", "grade_v1", False, {"pairs_ordered": 0.1})
    latest = store.latest_judge_check("offline", None, "offline-v1")
    assert latest["trusted"] and latest["pairs_ordered"] == 0.96
    assert store.latest_judge_check("openai/x", None, "grade_v1") is None  # another endpoint
    assert store.latest_judge_check("openai/x", "http://h/v1", "grade_v2") is None  # another prompt


@pytest.mark.filterwarnings("ignore:Items .* ReadOnly:UserWarning")  # litellm's Router types, on import
def test_a_router_session_has_the_identity_its_check_was_stored_under(llm_server, tmp_path):
    from interviewer.judge_factory import make_judge
    from interviewer.judge_status import session_identity
    from reports.records import AnswerRecord, SessionRecord, SessionSettings
    from rubrics.judge_trust import identity_of
    from rubrics.verdict import Verdict

    cfg = tmp_path / "router.yaml"
    cfg.write_text("model_list:\n  - model_name: grader\n    litellm_params: {model: openai/test-model, "
                   f"api_base: '{llm_server.base_url}', api_key: sk-test}}\n")
    checked = identity_of(make_judge(None, router_config=cfg))
    assert checked.model == "grader" and "sk-test" not in str(checked.endpoint)
    settings = SessionSettings(judge="offline", router_config=str(cfg.resolve()))  # as `start --router-config` saves it
    graded = AnswerRecord(session_id="s", position=0, question_id="q", answer="a",
                          verdict=Verdict(question_id="q", judge="llm", model="grader", prompt_version=checked.prompt_version))
    assert session_identity(SessionRecord(id="s", settings=settings), [graded]) == checked
    offline = session_identity(SessionRecord(id="s"), [])
    assert offline is not None and offline.model == "offline" and offline.endpoint is None
