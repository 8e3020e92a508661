"""Killed while grading the last answers: the real `interviewer start` in a subprocess, SIGKILLed
while its LLM judge is still grading; `history` and the report then show the answers as pending,
and `resume` grades them and writes the report."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.helpers import wait_for
from tests.llm_server import Reply, verdict_for
from tests.test_cli_e2e import answers_file
from tests.test_cli_judging import EXAMPLE, GOOD, QID, full_credit, no_traceback, run

ROOT = Path(__file__).parents[1]


def two_answers(tmp_path: Path) -> Path:
    """A scripted interview of two answers: the example bank's question answered well, then another."""
    return answers_file(tmp_path, [
        {"answer": GOOD, "question_id": QID, "seconds": 30},
        {"answer": "Attention lets each token look at the others with learned weights.", "seconds": 20},
    ])


def db_rows(data: Path, sql: str) -> list:
    try:
        with sqlite3.connect(f"file:{data / 'interviewer.db'}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute(sql).fetchall()
    except sqlite3.Error:
        return []


@pytest.mark.timeout(180)
def test_killed_while_grading_the_last_answers_resume_grades_them_and_writes_the_report(llm_server, tmp_path):
    gate = threading.Event()

    def slow(body: dict) -> Reply:  # grading does not finish before the kill
        gate.wait(60)
        return Reply.json(verdict_for(body, "full", holistic=9))

    llm_server.set_default(slow)
    answers = two_answers(tmp_path)
    data = tmp_path / "data"
    cmd = [sys.executable, "-m", "interviewer", "start", "--count", "2", "--seed", "3", "--bank", EXAMPLE,
           "--answers", str(answers), "--judge", "openai/test-model", "--api-base", llm_server.base_url,
           "--data-dir", str(data)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "INTERVIEWER_BANK": ""}, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: db_rows(data, "SELECT 1 FROM sessions WHERE status = 'finished'"), what="the session to end")
        wait_for(lambda: llm_server.count >= 2, what="grading requests")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert db_rows(data, "SELECT count(*) FROM verdicts") == [(0,)]

    hist = run("history", "--json", data_dir=data)
    (row,) = json.loads(hist.stdout)
    assert row["pending"] == 2 and row["graded"] == 0
    assert "2 pending" in run("history", data_dir=data).stdout
    report = json.loads(run("report", "latest", "--format", "json", "-o", "-", data_dir=data).stdout)
    assert report["pending"] == 2 and [q["status"] for q in report["questions"]] == ["pending", "pending"]

    llm_server.set_default(full_credit)
    gate.set()
    resumed = run("resume", data_dir=data)  # no terminal, no answers file: only grading is left
    assert resumed.returncode == 0, resumed.stderr
    no_traceback(resumed)
    assert "Reports:" in resumed.stdout
    written = json.loads((data / "reports" / f"{row['session_id']}.json").read_text(encoding="utf-8"))
    assert [q["status"] for q in written["questions"]] == ["graded", "graded"] and written["pending"] == 0
    assert json.loads(run("history", "--json", data_dir=data).stdout)[0]["pending"] == 0
    again = run("resume", data_dir=data)
    assert again.returncode == 1 and "no unfinished session" in again.stderr
