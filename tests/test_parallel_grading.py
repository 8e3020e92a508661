"""Batch grading in worker processes (`calibrate --workers`, `regrade --workers`), end to end: the
real CLI in a subprocess, real litellm over HTTP to the local server, the real SQLite store. What
must hold: every item graded exactly once and in its place, every request in the call log, cache
writes that make a rerun free, and the same verdicts as one process."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from interviewer.store import Store
from tests.llm_server import Reply, verdict_for
from tests.test_cli_judging import DEV, EXAMPLE, GOOD, QID, full_credit, no_traceback, run


def partial_credit(body: dict) -> Reply:
    return Reply.json(verdict_for(body, "partial", holistic=5))


def dev_items() -> list[dict]:
    return [json.loads(line) for line in Path(DEV).read_text(encoding="utf-8").splitlines() if line.strip()]


def calls(data_dir: Path):
    store = Store(data_dir / "interviewer.db")
    try:
        return store.calls()
    finally:
        store.close()


def test_calibrate_in_worker_processes_logs_every_call_and_caches(llm_server, tmp_path):
    llm_server.set_default(partial_credit)
    items = dev_items()
    to_grade = [it for it in items if it["answer"].strip()]  # an empty answer scores 0 without a request
    args = ("calibrate", DEV, "--judge", "openai/test-model", "--api-base", llm_server.base_url,
            "--concurrency", "4", "--json")
    multi = run(*args, "--workers", "2", "--out", str(tmp_path / "multi.csv"), data_dir=tmp_path / "d")
    assert multi.returncode == 0, multi.stderr
    no_traceback(multi)
    m = json.loads(multi.stdout)["metrics"]
    assert m["n"] == len(items) and m["ungraded"] == 0
    assert llm_server.count == len(to_grade)  # each answer graded once, by one worker
    assert llm_server.max_in_flight <= 4  # the workers share --concurrency, they do not multiply it

    log = calls(tmp_path / "d")
    assert len(log) == len(to_grade)
    assert all(c.status == "ok" and c.purpose == "grade" and not c.cached for c in log)
    assert all(c.model == "openai/test-model" and c.prompt_tokens == 100 and c.completion_tokens == 50 for c in log)
    assert all(c.cost_usd is None for c in log)  # an unpriced model stays "unknown", never 0
    assert sorted(c.question_id for c in log) == sorted(it["id"] for it in to_grade)

    # the same verdicts, item by item and in input order, as a single process grading without the cache
    single = run(*args, "--workers", "1", "--no-cache", "--out", str(tmp_path / "single.csv"), data_dir=tmp_path / "e")
    assert single.returncode == 0, single.stderr
    rows_multi = list(csv.DictReader((tmp_path / "multi.csv").open(encoding="utf-8")))
    rows_single = list(csv.DictReader((tmp_path / "single.csv").open(encoding="utf-8")))
    assert [r["id"] for r in rows_multi] == [it["id"] for it in items]
    assert rows_multi == rows_single

    # the workers' cache writes reached the store: a rerun makes no request and logs cached calls
    before = llm_server.count
    again = run(*args, "--workers", "2", data_dir=tmp_path / "d")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["metrics"] == m
    assert llm_server.count == before
    cached = [c for c in calls(tmp_path / "d") if c.cached]
    assert len(cached) == len(to_grade)


def test_regrade_in_worker_processes_saves_every_verdict(llm_server, tmp_path):
    answers = tmp_path / "answers.jsonl"
    answers.write_text("\n".join(json.dumps(x) for x in [
        {"answer": GOOD, "question_id": QID, "seconds": 30},
        {"answer": "Attention lets each token look at the others with learned weights.", "seconds": 20},
        {"answer": "Scaling keeps the softmax out of saturation.", "seconds": 20},
    ]) + "\n")
    llm_server.set_default(Reply.error(401, "key revoked"))
    bad = run("start", "--count", "3", "--seed", "3", "--bank", EXAMPLE, "--answers", str(answers),
              "--judge", "openai/test-model", "--api-base", llm_server.base_url, data_dir=tmp_path)
    no_traceback(bad)
    failed_calls = len(calls(tmp_path))

    llm_server.reset()
    llm_server.set_default(full_credit)
    again = run("regrade", "latest", "--workers", "2", "--judge", "openai/test-model", "--api-base",
                llm_server.base_url, "--json", data_dir=tmp_path)
    assert again.returncode == 0, again.stderr
    no_traceback(again)
    rows = json.loads(again.stdout)["regraded"]
    assert len(rows) == 3 and all(r["status"] == "graded" and r["score"] is not None for r in rows)
    assert sorted(r["position"] for r in rows) == [0, 1, 2]

    store = Store(tmp_path / "interviewer.db")
    try:
        session = store.get_session("latest")
        saved = store.answers(session.id)
        new_calls = store.calls()[failed_calls:]
    finally:
        store.close()
    assert all(a.verdict is not None and a.verdict.status == "graded" for a in saved)
    assert {a.id: a.verdict.score for a in saved} == {a.id: r["score"] for a, r in
                                                      zip(sorted(saved, key=lambda a: a.position),
                                                          sorted(rows, key=lambda r: r["position"]))}
    assert len(new_calls) == llm_server.count == 3
    assert all(c.status == "ok" and not c.cached for c in new_calls)
    assert sorted(c.question_id for c in new_calls) == sorted(a.question_id for a in saved)
