"""The real `interviewer` command end to end, in a subprocess, with the bundled bank and the
offline judge: what a user runs is what is tested."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import judge_notes_removed

ROOT = Path(__file__).parents[1]


def run(*args: str, data_dir: Path | None = None, env: dict | None = None, timeout: int = 120):
    cmd = [sys.executable, "-m", "interviewer", *args]
    if data_dir is not None:
        cmd += ["--data-dir", str(data_dir)]
    full_env = {**os.environ, "INTERVIEWER_BANK": "", **(env or {})}
    full_env.pop("INTERVIEWER_JUDGE_MODEL", None)
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=full_env, stdin=subprocess.DEVNULL)


def answers_file(tmp_path: Path, lines: list[dict]) -> Path:
    p = tmp_path / "answers.jsonl"
    p.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8")
    return p


def one_line_error(proc) -> str:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    lines = [ln for ln in judge_notes_removed(proc.stderr) if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def latest_json(data_dir: Path) -> dict:
    (path,) = sorted((data_dir / "reports").glob("*.json"))
    return json.loads(path.read_text(encoding="utf-8"))


def test_scripted_interview_writes_graded_json_report(tmp_path):
    bank = json.loads(run("bank", "list", "--json").stdout)
    by_id = {q["id"]: q for q in bank}
    # first answer: the pinned question's own reference answer; then a weak one; then nothing
    pinned = next(q for q in bank if q["difficulty"] == "easy")
    lines = [
        {"answer": pinned["reference_answer"]["en"], "question_id": pinned["id"], "seconds": 50},
        {"answer": "I am not sure, something about matrices.", "seconds": 30},
        {"answer": "", "seconds": 5},
    ]
    proc = run("start", "--count", "3", "--seed", "1", "--answers", str(answers_file(tmp_path, lines)), data_dir=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Overall:" in proc.stdout and "Reports:" in proc.stdout
    report = latest_json(tmp_path)
    assert set(report) >= {"session_id", "overall_score", "questions"}
    qs = report["questions"]
    assert len(qs) == 3 and all(q["status"] == "graded" for q in qs)
    assert qs[0]["id"] == pinned["id"] and qs[0]["answer"] == lines[0]["answer"]
    for q in qs:
        assert set(q) >= {"id", "topic", "difficulty", "answer", "score", "max_score", "status", "key_points"}
        assert q["max_score"] == 10
        for kp in q["key_points"]:
            assert set(kp) >= {"id", "credit", "evidence"}
            if kp["credit"] != "none":
                assert kp["evidence"] and kp["evidence"] in q["answer"]
        assert q["topic"] == by_id[q["id"]]["topic"]
    assert qs[0]["score"] >= 8.0  # its own reference answer
    assert qs[1]["score"] < qs[0]["score"]
    assert qs[2]["score"] == 0 and qs[2]["ended"] == "skipped"
    assert report["overall_score"] == pytest.approx(sum(q["score"] for q in qs) / 3, abs=0.01)
    html = (tmp_path / "reports" / f"{report['session_id']}.html").read_text(encoding="utf-8")
    assert "<style>" in html and "http://" not in html.split("</style>")[0]
    md = (tmp_path / "reports" / f"{report['session_id']}.md").read_text(encoding="utf-8")
    assert report["session_id"] in md


def test_seed_reproduces_the_draw(tmp_path):
    lines = answers_file(tmp_path, [{"answer": "x"}] * 4)
    ids = []
    for sub in ("a", "b"):
        assert run("start", "--count", "4", "--seed", "7", "--answers", str(lines), data_dir=tmp_path / sub).returncode == 0
        ids.append([q["id"] for q in latest_json(tmp_path / sub)["questions"]])
    assert ids[0] == ids[1]


def test_report_command_formats_and_latest(tmp_path):
    lines = answers_file(tmp_path, [{"answer": "attention uses queries keys and values"}])
    assert run("start", "--count", "1", "--seed", "2", "--answers", str(lines), data_dir=tmp_path).returncode == 0
    proc = run("report", "latest", "--format", "json", "--output", "-", data_dir=tmp_path)
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["questions"][0]["answer"] == "attention uses queries keys and values"
    out = tmp_path / "r.md"
    proc = run("report", "latest", "--format", "md", "--output", str(out), data_dir=tmp_path)
    assert proc.returncode == 0 and out.read_text(encoding="utf-8").startswith("# Mock interview report")
    assert "use html, md or json" in one_line_error(run("report", "latest", "--format", "pdf", data_dir=tmp_path))


def test_huge_answer_is_stored_in_full_and_graded_truncated(tmp_path):
    big = ("The KV cache stores keys and values. " * 30000)[:1_000_000]
    lines = answers_file(tmp_path, [{"answer": big}])
    proc = run("start", "--count", "1", "--seed", "3", "--answers", str(lines), data_dir=tmp_path)
    assert proc.returncode == 0, proc.stderr
    q = latest_json(tmp_path)["questions"][0]
    assert len(q["answer"]) == 1_000_000 and q["answer"] == big
    assert q["status"] == "graded"
    assert any(f["kind"] == "truncated" for f in q["flags"])


@pytest.mark.parametrize(
    "args, expected",
    [
        (["start", "--topic", "no-such-topic", "--answers", "{ans}"], "known topics: "),
        (["start", "--topic", "moe", "--difficulty", "hard", "--count", "99", "--answers", "{ans}"], "--count 99 is more than the"),
        (["start", "--difficulty", "impossible", "--answers", "{ans}"], "unknown difficulty"),
        (["start", "--lang", "fr", "--answers", "{ans}"], "--lang 'fr' is not supported"),
        (["start", "--answers", "{bad}"], "not valid JSON"),
        (["start", "--answers", "{missing}"], "cannot read answers file"),
        (["start", "--answers", "{empty}"], "has no answers"),
        (["start", "--bank", "{missing}", "--answers", "{ans}"], "no such bank file or folder"),
        (["report", "nope"], "no session 'nope'"),
        (["resume"], "no unfinished session"),
        (["bank", "show", "does-not-exist"], "unknown question id"),
    ],
)
def test_bad_input_is_one_line_error(tmp_path, args, expected):
    ans = answers_file(tmp_path, [{"answer": "x"}])
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"answer": "ok"}\n{not json}\n', encoding="utf-8")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n  \n", encoding="utf-8")
    subs = {"{ans}": str(ans), "{bad}": str(bad), "{missing}": str(tmp_path / "missing.jsonl"), "{empty}": str(empty)}
    args = [subs.get(a, a) for a in args]
    line = one_line_error(run(*args, data_dir=None if args[0] == "bank" else tmp_path / "data"))
    assert expected in line
    if "{bad}" in str(args) or str(bad) in args:
        assert ":2:" in line


def test_unwritable_data_dir_fails_before_the_interview(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory")
    ans = answers_file(tmp_path, [{"answer": "x"}])
    line = one_line_error(run("start", "--count", "1", "--answers", str(ans), data_dir=blocker / "data"))
    assert "not writable" in line


def test_no_terminal_and_no_answers_file_is_a_clear_error(tmp_path):
    line = one_line_error(run("start", "--count", "1", data_dir=tmp_path))
    assert "--answers" in line
    # nothing was half-started: the session exists but holds no answers
    assert not (tmp_path / "reports").exists()


def test_invalid_user_bank_reports_file_and_line(tmp_path):
    bad = tmp_path / "mine.yaml"
    bad.write_text("topic: mine\nquestions:\n  - id: Bad Id\n    difficulty: easy\n    text: {en: q}\n    reference_answer: {en: a}\n", encoding="utf-8")
    line = one_line_error(run("bank", "validate", str(bad)))
    assert f"{bad}:3:" in line and "field id" in line


def test_bank_commands(tmp_path):
    stats = json.loads(run("bank", "stats", "--json").stdout)
    assert {"questions", "topics", "languages", "kinds", "parameterised", "variants", "probes", "follow_ups"} <= set(stats)
    assert stats["questions"] == sum(sum(c.values()) for c in stats["topics"].values())
    listed = json.loads(run("bank", "list", "--difficulty", "hard", "--json").stdout)
    assert listed and {q["difficulty"] for q in listed} == {"hard"}
    shown = json.loads(run("bank", "show", listed[0]["id"], "--json").stdout)
    assert shown == listed[0]
    schema = json.loads(run("bank", "schema").stdout)
    assert "Question" in schema["$defs"]
    assert run("bank", "validate").stdout.startswith("OK: ")


def test_help_imports_neither_litellm_nor_pandas():
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "interviewer", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "start" in proc.stdout
    imported = {ln.split("|")[-1].strip().split(".")[0] for ln in proc.stderr.splitlines() if "|" in ln}
    assert "typer" in imported  # the check sees real imports
    assert not imported & {"litellm", "pandas", "jieba", "openai", "prompt_toolkit"}


def test_missing_provider_key_is_caught_before_the_interview(tmp_path, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    ans = answers_file(tmp_path, [{"answer": "x"}])
    line = one_line_error(run("start", "--count", "1", "--answers", str(ans), "--judge",
                              "anthropic/claude-3-5-haiku-latest", data_dir=tmp_path / "d"))
    assert "ANTHROPIC_API_KEY" in line and "--api-key-env" in line
    assert "no session" in one_line_error(run("report", "latest", data_dir=tmp_path / "d"))  # nothing was started


def test_a_short_answers_file_warns_and_ends_the_interview_after_its_last_line(tmp_path):
    lines = answers_file(tmp_path, [{"answer": "Attention weighs values by query-key similarity."}])
    proc = run("start", "--count", "3", "--seed", "4", "--answers", str(lines), data_dir=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert judge_notes_removed(proc.stderr) == [
        "warning: the answers file has 1 answer for 3 questions: the interview ends after the last one, "
        "and the other 2 questions are not reached (left out of the score)"]
    report = latest_json(tmp_path)
    assert report["status"] == "finished"
    assert [q["status"] for q in report["questions"]] == ["graded", "not_reached", "not_reached"]
    assert report["overall_score"] == report["questions"][0]["score"]  # no invented zeros
