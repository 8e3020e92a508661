"""The browser's answer source on its own, with a clock the test moves: the server's deadline
submits the last text as timed out (a page's late text still counts), a page that goes away pauses
the turn with the time until it was last seen, the server stopping pauses it at once, and the
time spent is autosaved even when no page posts anything."""

from __future__ import annotations

import threading

import pytest

from interviewer.session import Reply, Turn
from interviewer.web import web_source
from interviewer.web.web_source import TurnClosed, WebAnswers
from reports.records import AnswerRecord
from tests.helpers import make_question, wait_for


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Disk:
    """What the engine's callbacks put on disk."""

    def __init__(self) -> None:
        self.drafts: list[tuple[str, float]] = []
        self.committed: list[Reply] = []

    def save_draft(self, text: str, seconds: float) -> None:
        self.drafts.append((text, seconds))

    def commit(self, reply: Reply) -> AnswerRecord:
        self.committed.append(reply)
        return AnswerRecord(session_id="s", position=0, question_id="q", answer=reply.text, ended=reply.ended)


def asked(source: WebAnswers, disk: Disk, seconds: float = 60.0) -> tuple[threading.Thread, list]:
    """The engine's thread asking one main question; what it got back lands in the list."""
    turn = Turn(make_question("q", "t"), 0, 1, seconds, 600.0, "en", draft="before", save_draft=disk.save_draft,
                commit=disk.commit)
    got: list = []
    thread = threading.Thread(target=lambda: got.append(source.ask(turn)), daemon=True)
    thread.start()
    wait_for(lambda: source.snapshot()["key"] == "0.0", what="the turn to open")
    return thread, got


def test_the_deadline_submits_the_last_text_as_timed_out():
    clock, disk = Clock(), Disk()
    source = WebAnswers(clock)
    thread, got = asked(source, disk, seconds=60.0)
    source.save_draft("0.0", "what I typed")
    clock.now += 60.0 + web_source.GRACE + 0.1  # no page submitted: the server's clock decides
    thread.join(30)
    reply = got[0]
    assert (reply.text, reply.ended, reply.seconds_used) == ("what I typed", "timed_out", 60.0)
    assert disk.committed == [reply] and reply.record is not None  # committed before the engine moves on
    with pytest.raises(TurnClosed):
        source.save_draft("0.0", "too late")
    assert source.reply("0.0", "too late", "submit").duplicate  # a tab that did not notice: already answered


def test_text_arriving_just_after_the_deadline_counts_as_timed_out():
    clock, disk = Clock(), Disk()
    source = WebAnswers(clock)
    thread, got = asked(source, disk, seconds=60.0)
    clock.now += 60.5  # past the deadline, inside the grace: the page's countdown was a little behind
    posted = source.reply("0.0", "my last words", "submit")
    thread.join(30)
    assert posted.ended == "timed_out" and got[0].text == "my last words" and got[0].seconds_used == 60.0


def test_a_page_that_goes_away_pauses_the_turn_with_the_time_until_it_was_last_seen():
    clock, disk = Clock(), Disk()
    source = WebAnswers(clock)
    thread, got = asked(source, disk)
    clock.now += 10.0
    source.save_draft("0.0", "half an answer")  # the page was there at +10 s
    clock.now += web_source.AWAY_AFTER + 1
    thread.join(30)
    reply = got[0]
    assert reply.pause and reply.text == "half an answer" and reply.seconds_used == pytest.approx(10.0)
    assert disk.committed == []  # a pause commits nothing: run_session keeps the draft for resume


def test_a_closed_tab_pauses_soon_and_a_reload_does_not():
    clock, disk = Clock(), Disk()
    source = WebAnswers(clock)
    thread, got = asked(source, disk)
    clock.now += 5.0
    source.seen(leaving=True)  # pagehide: a reload...
    clock.now += 1.0
    source.seen()  # ...whose new page polls at once
    clock.now += web_source.LEFT_AFTER + 1
    thread.join(1.5)  # longer than the engine's longest wait between two looks at the clock
    assert thread.is_alive() and not got
    source.seen(leaving=True)  # now closed for good
    left_at = clock.now
    clock.now += web_source.LEFT_AFTER + 1
    thread.join(30)
    assert got[0].pause and got[0].seconds_used == pytest.approx(left_at - 1000.0)


def test_stopping_the_server_pauses_the_open_turn_at_once():
    clock, disk = Clock(), Disk()
    source = WebAnswers(clock)
    thread, got = asked(source, disk)
    source.save_draft("0.0", "typed")
    clock.now += 7.0
    source.stop()
    thread.join(30)
    assert got[0].pause and got[0].text == "typed" and got[0].seconds_used == pytest.approx(7.0)


def test_the_time_spent_is_saved_every_few_seconds_without_a_page():
    clock, disk = Clock(), Disk()
    source = WebAnswers(clock)
    thread, got = asked(source, disk)
    clock.now += web_source.AUTOSAVE + 0.5
    wait_for(lambda: disk.drafts, what="an autosave")
    assert disk.drafts[-1] == ("before", pytest.approx(web_source.AUTOSAVE + 0.5))  # the draft it was resumed with
    source.reply("0.0", "", "skip")
    thread.join(30)
    assert got[0].ended == "skipped"


def test_skip_with_text_typed_submits_it_never_thrown_away():
    clock, disk = Clock(), Disk()
    source = WebAnswers(clock)
    thread, got = asked(source, disk)
    posted = source.reply("0.0", "something worth grading", "skip")
    thread.join(30)
    assert posted.ended == "submitted" and got[0].text == "something worth grading"


def test_a_refused_answer_keeps_the_turn_open():
    from interviewer.store import StorageError

    clock, disk = Clock(), Disk()
    source = WebAnswers(clock)
    thread, got = asked(source, disk)
    real = disk.commit

    def full(reply: Reply) -> AnswerRecord:
        raise StorageError("database or disk is full")

    disk.commit = full  # type: ignore[method-assign]
    source.turn.commit = full  # type: ignore[union-attr]
    with pytest.raises(StorageError):
        source.reply("0.0", "keep me", "submit")
    assert source.snapshot()["key"] == "0.0" and not got  # still open: the page keeps the text and retries
    source.turn.commit = real  # type: ignore[union-attr]
    assert source.reply("0.0", "keep me", "submit").ended == "submitted"
    thread.join(30)
    assert got[0].text == "keep me"
