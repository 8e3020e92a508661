"""`regrade --workers 2` killed with SIGKILL: its worker processes die with it and stop calling the
API (before, they went on: 120 requests in the 6 s after the kill)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from interviewer.store import Store
from reports.records import AnswerRecord, SessionRecord, SessionSettings
from tests.llm_server import Reply, verdict_for
from tests.helpers import wait_for

ROOT = Path(__file__).parents[1]
QUESTION = "attention-mha-mqa-gqa"


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Running (a zombie waiting for a reaper that never comes, in a container, counts as dead)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def pending_session(data: Path, n: int) -> str:
    store = Store.open(data)
    store.create_session(SessionRecord(id="many", status="finished", settings=SessionSettings(count=n),
                                       plan=[QUESTION] * n))
    for i in range(n):
        store.add_answer(AnswerRecord(session_id="many", position=i, question_id=QUESTION,
                                      answer=f"Answer {i}: grouped-query attention shares keys and values across heads."))
    store.close()
    return "many"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.timeout(150)
def test_workers_die_with_a_killed_parent_and_stop_calling_the_api(llm_server, tmp_path):
    def slow(body: dict) -> Reply:
        return Reply.json(verdict_for(body, "full", holistic=9), delay=0.2)

    llm_server.set_default(slow)
    data = tmp_path / "data"
    sid = pending_session(data, 400)
    cmd = [sys.executable, "-m", "interviewer", "regrade", sid, "--all", "--workers", "2", "--judge",
           "openai/test-model", "--api-base", llm_server.base_url, "--data-dir", str(data)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "INTERVIEWER_BANK": ""}, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[int] = []
    try:
        wait_for(lambda: len(children(proc.pid)) >= 2 and llm_server.count >= 8, what="two workers calling the API")
        workers = children(proc.pid)
        at_kill = llm_server.count
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        wait_for(lambda: not any(alive(w) for w in workers), timeout=30, what="the workers to die with their parent")
        after_death = llm_server.count
        assert after_death - at_kill <= 8  # at most what was already on its way when the parent died
        time.sleep(1.0)  # nothing may call the API any more
        assert llm_server.count == after_death
    finally:
        if proc.poll() is None:
            proc.kill()
        for w in workers:
            if alive(w):
                os.kill(w, signal.SIGKILL)
