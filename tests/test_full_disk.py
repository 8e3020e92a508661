"""A full disk never loses a typed answer. The disk is made full with SQLite's ``PRAGMA
max_page_count`` (no root needed): the database may not grow by one page, so saving a long answer
or draft fails with "database or disk is full" exactly as on a full disk.

The screen keeps the text, says it is not saved, keeps the clock running and retries; a pause
writes the text to a file whose path is printed; a scripted run stops with one clear line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from interviewer.session import BackgroundGrader, Turn, create_session, run_session
from interviewer.store import DB_NAME, StorageError, Store
from interviewer.tui import TerminalAnswers
from reports.records import AnswerRecord, SessionSettings
from rubrics.offline import OfflineJudge
from tests.full_disk import limit
from tests.helpers import make_question, synthetic_bank, wait_for
from tests.test_cli_e2e import ROOT, answers_file, one_line_error
from tests.tmux import Tmux, tmux_available

LONG = " ".join(f"word{i} about attention heads and softmax" for i in range(200))  # ~8 KB: needs new pages


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path)
    yield s
    s.close()


def test_a_full_disk_refuses_a_long_answer_with_a_storage_error(store):
    s = create_session(store, SessionSettings(count=1), ["q"])
    limit(store, True)
    with pytest.raises(StorageError, match="database or disk is full") as err:
        store.add_answer(AnswerRecord(session_id=s.id, position=0, question_id="q", answer=LONG))
    assert err.value.reason == "database or disk is full"
    limit(store, False)
    store.add_answer(AnswerRecord(session_id=s.id, position=0, question_id="q", answer=LONG))


@pytest.mark.timeout(60)
def test_the_screen_keeps_a_timed_out_answer_until_the_disk_takes_it(store):
    """Autosave fails, then the question times out and its save fails too: the clock did not die
    with the first failed save, the text stays, and once there is space again it is saved."""
    s = create_session(store, SessionSettings(count=1), ["q-1"])
    attempts: list[str] = []

    def commit(reply):
        record = AnswerRecord(session_id=s.id, position=0, question_id="q-1", answer=reply.text,
                              seconds_used=reply.seconds_used, ended=reply.ended)
        try:
            store.add_answer(record)
        except StorageError as e:
            attempts.append(e.reason)
            raise
        return record

    drafts: list[str] = []

    def save_draft(text, used):
        try:
            store.save_draft(s.id, 0, text, used)
        except StorageError as e:
            drafts.append(e.reason)
            raise

    turn = Turn(make_question("q-1", "attention"), 0, 1, 2.0, 600.0, "en", save_draft=save_draft, commit=commit)
    limit(store, True)
    with create_pipe_input() as inp, create_app_session(input=inp, output=DummyOutput()):
        def feed():
            time.sleep(0.1)
            inp.send_text(LONG)
            wait_for(lambda: len(attempts) >= 2, what="the time-out's save to be retried")
            limit(store, False)  # space again

        t = threading.Thread(target=feed, daemon=True)
        t.start()
        reply = TerminalAnswers(input=inp, output=DummyOutput(), tick=0.05, autosave=0.3).ask(turn)
        t.join(10)
    assert drafts and set(drafts) == {"database or disk is full"}  # the autosave failed first
    assert attempts and set(attempts) == {"database or disk is full"}
    assert reply.ended == "timed_out" and reply.text == LONG and reply.record is not None
    assert reply.seconds_used < 10  # the time of the time-out, not of the late save
    (saved,) = store.answers(s.id)
    assert saved.answer == LONG and saved.ended == "timed_out"


@pytest.mark.timeout(60)
def test_a_pause_on_a_full_disk_writes_the_text_to_a_file(store, tmp_path):
    bank = synthetic_bank({"a": 2})
    s = create_session(store, SessionSettings(count=1, minutes=10), sorted(bank.questions)[:1])
    limit(store, True)

    class Source:
        def ask(self, turn):
            with create_pipe_input() as inp, create_app_session(input=inp, output=DummyOutput()):
                def feed():
                    time.sleep(0.1)
                    inp.send_text(LONG)
                    time.sleep(0.2)
                    inp.send_text("\x04")  # submit: refused by the disk, the text stays
                    time.sleep(0.5)
                    inp.send_text("\x03")  # give up for now: pause

                threading.Thread(target=feed, daemon=True).start()
                return TerminalAnswers(input=inp, output=DummyOutput(), tick=0.05, autosave=0.2).ask(turn)

    with pytest.raises(StorageError) as err:
        run_session(store, bank, s, Source(), BackgroundGrader(store, OfflineJudge()))
    path = Path(re.search(r"is in (\S+\.txt)", str(err.value)).group(1))
    assert path.read_text(encoding="utf-8") == LONG
    assert store.answers(s.id) == []


# --- the real command ----------------------------------------------------------------------------


def full_disk_cmd(flag: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "tests.full_disk", str(flag), *args]


def test_a_scripted_run_on_a_full_disk_stops_with_one_clear_line(tmp_path):
    flag = tmp_path / "full"
    flag.write_text("")
    ans = answers_file(tmp_path, [{"answer": LONG}, {"answer": "short"}])
    env = {**os.environ, "INTERVIEWER_BANK": ""}
    proc = subprocess.run(full_disk_cmd(flag, "start", "--count", "2", "--answers", str(ans), "--data-dir",
                                        str(tmp_path / "d")), cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env=env, stdin=subprocess.DEVNULL)
    line = one_line_error(proc)
    assert "answer 1 was not saved" in line and "database or disk is full" in line and "--answers" in line


@pytest.fixture
def tui(tmp_path):
    if not tmux_available():
        pytest.skip("tmux is not installed")
    flag = tmp_path / "full"
    data = tmp_path / "data"
    term = Tmux(full_disk_cmd(flag, "start", "--count", "2", "--minutes", "20", "--seed", "4", "--follow-ups", "0",
                              "--data-dir", str(data)),
                ROOT)
    try:
        yield term, flag, data
    finally:
        term.close()


def _answers(data: Path) -> list[tuple[int, str]]:
    with _ro(data) as conn:
        return conn.execute("SELECT position, answer FROM answers ORDER BY position").fetchall()


class _ro:  # noqa: N801 - a tiny read-only connection context
    def __init__(self, data: Path) -> None:
        import sqlite3

        self.conn = sqlite3.connect(f"file:{data / DB_NAME}?mode=ro", uri=True)

    def __enter__(self):  # noqa: ANN204
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()


@pytest.mark.timeout(120)
def test_terminal_interview_keeps_typing_through_a_full_disk_and_saves_when_space_returns(tui):
    term, flag, data = tui
    term.wait(r"Question 1/2")
    term.keys("first answer: attention weighs values by similarity", literal=True)
    term.keys("C-d")
    term.wait(r"answer 1 saved")
    term.wait(r"Question 2/2")
    flag.write_text("")  # the disk is full from now on
    term.keys(LONG, literal=True)
    term.wait(r"⚠ not saved \(database or disk is full\)")  # the autosave failed, and says so
    term.keys("C-d")
    term.wait(r"⚠ answer NOT saved \(database or disk is full\)")
    def clock() -> str:
        return re.findall(r"⏱ question (\d\d:\d\d)", term.screen())[-1]

    first = clock()
    wait_for(lambda: clock() != first, what="the clock to keep running")
    assert [p for p, _ in _answers(data)] == [0]  # answer 2 is not on disk, only on screen
    flag.unlink()  # space again: the retry saves it
    term.wait(r"answer 2 saved")
    term.wait(r"EXIT=0")
    assert dict(_answers(data))[1] == LONG


@pytest.mark.timeout(120)
def test_terminal_interview_paused_on_a_full_disk_writes_the_text_to_a_printed_path(tui):
    term, flag, data = tui
    term.wait(r"Question 1/2")
    flag.write_text("")
    term.keys(LONG, literal=True)
    term.keys("C-d")
    term.wait(r"answer NOT saved")
    term.keys("C-c")
    term.wait(r"EXIT=1")
    screen = term.screen()
    assert "Traceback" not in screen
    path = Path(re.search(r"is in (\S+\.txt)", screen.replace("\n", "")).group(1))
    assert path.read_text(encoding="utf-8") == LONG
    assert _answers(data) == []
