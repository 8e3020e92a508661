"""The real prompt_toolkit interview screen, driven through a pipe: typing, submitting, skipping,
finishing early, and a time-out that submits what was typed."""

from __future__ import annotations

import threading
import time

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from interviewer.session import Turn
from interviewer.tui import TerminalAnswers
from tests.helpers import make_question


def _turn(seconds: float = 60.0, total_left: float = 600.0) -> Turn:
    return Turn(make_question("q-1", "attention"), 0, 3, seconds, total_left, "en")


def _ask(keys: list[str | float], turn: Turn):
    """Send keys (strings) with pauses (floats) while the application runs."""
    with create_pipe_input() as inp, create_app_session(input=inp, output=DummyOutput()):
        def feed():
            for k in keys:
                if isinstance(k, float):
                    time.sleep(k)
                else:
                    inp.send_text(k)

        t = threading.Thread(target=feed, daemon=True)
        t.start()
        reply = TerminalAnswers(input=inp, output=DummyOutput(), tick=0.05).ask(turn)
        t.join(5)
        return reply


def test_multiline_answer_submitted_with_ctrl_d():
    reply = _ask([0.1, "line one\rline two", 0.1, "\x04"], _turn())
    assert reply.text == "line one\nline two"
    assert reply.ended == "submitted" and not reply.finish and not reply.pause
    assert 0 < reply.seconds_used < 5


def test_escape_enter_submits():
    reply = _ask([0.1, "short answer", 0.1, "\x1b\r"], _turn())
    assert (reply.text, reply.ended) == ("short answer", "submitted")


def test_skip_with_ctrl_n():
    reply = _ask([0.1, "half a thought", 0.1, "\x0e"], _turn())
    assert reply.ended == "skipped" and reply.text == "half a thought"


def test_finish_early_with_ctrl_q_keeps_text():
    reply = _ask([0.1, "final words", 0.1, "\x11"], _turn())
    assert reply.finish and reply.ended == "submitted" and reply.text == "final words"


def test_ctrl_c_pauses_and_keeps_text():
    reply = _ask([0.1, "typed so far", 0.1, "\x03"], _turn())
    assert reply.pause and reply.text == "typed so far"


@pytest.mark.timeout(20)
def test_time_out_submits_what_was_typed():
    reply = _ask([0.1, "partial answer about softmax"], _turn(seconds=1.0))
    assert reply.ended == "timed_out"
    assert reply.text == "partial answer about softmax"
    assert 0.9 <= reply.seconds_used < 4


@pytest.mark.timeout(20)
def test_interview_clock_also_times_out():
    reply = _ask([0.1, "x"], _turn(seconds=60.0, total_left=1.0))
    assert reply.ended == "timed_out" and reply.text == "x"


@pytest.mark.timeout(20)
def test_draft_is_autosaved_while_typing_and_restored():
    saved: list[str] = []
    seconds: list[float] = []
    turn = _turn()
    turn.save_draft = lambda text, used: (saved.append(text), seconds.append(used))
    turn.draft = "restored start"
    with create_pipe_input() as inp, create_app_session(input=inp, output=DummyOutput()):
        def feed():
            time.sleep(0.1)
            inp.send_text(" and more")
            time.sleep(0.8)  # several autosave periods
            inp.send_text("\x04")

        t = threading.Thread(target=feed, daemon=True)
        t.start()
        reply = TerminalAnswers(input=inp, output=DummyOutput(), tick=0.05, autosave=0.2).ask(turn)
        t.join(5)
    assert reply.text == "restored start and more"  # typing continued after the restored draft
    assert saved and saved[-1] == "restored start and more"
    assert len(saved) == len(set(saved))  # only saved when the text changed
    assert seconds == sorted(seconds) and 0 < seconds[-1] < 5  # with the time spent so far
