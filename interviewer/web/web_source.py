"""The browser's answer source: the session engine's ``ask(turn)`` publishes the turn for the page
and waits for the page's reply, exactly as the terminal UI's ``ask`` waits for a key.

The server, not the browser, owns the clock and the disk:

- a draft the page posts goes through ``turn.save_draft`` (and the time spent is saved every few
  seconds even when no page posts, so a killed server gives back at most that much time);
- a submit goes through ``turn.commit`` before the page is told it is saved (a follow-up, which the
  engine commits itself, is answered once the engine's ``saved`` hook has seen it on disk);
- when the question's or the interview's time runs out, the last text the page sent is submitted as
  ``timed_out``, whether or not a page is open; a page's text arriving a moment late still counts;
- a page that disappears (closed tab, crashed browser) pauses the turn, as a closed terminal does:
  its text and the time spent until the page was last seen wait for ``resume`` (web or terminal).

Replies are keyed by the turn ("position.follow-up number"): a second submit of the same turn from
another tab is recognised and recorded once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from interviewer.session import Reply, Turn

#: Seconds between the server's own saves of the time spent on the open turn.
AUTOSAVE = 3.0
#: A page that has not been heard from for this long is gone (a hidden tab still polls about once a
#: minute): the turn is paused.
AWAY_AFTER = 75.0
#: After a page said it was leaving (closed or reloaded), this long without a page pauses the turn.
LEFT_AFTER = 10.0
#: After the deadline, the page's own last text (sent when its countdown reaches zero) may still
#: arrive for this long before the last saved draft is taken as the answer.
GRACE = 2.0
#: How long a submit waits for the engine to put a follow-up's answer on disk.
SAVE_WAIT = 30.0

ACTIONS = ("submit", "skip", "finish", "pause")


class TurnClosed(Exception):
    """The page acted on a turn that is not open (answered elsewhere, timed out, or paused)."""


@dataclass
class Posted:
    """What a page's submit led to: ``duplicate`` when another tab had already answered this turn."""

    ended: str  # submitted | skipped | timed_out | paused
    duplicate: bool = False


def turn_key(position: int, number: int | None = None) -> str:
    return f"{position}.{number or 0}"


def key_of(turn: Turn) -> str:
    return turn_key(turn.position, turn.follow_up.number if turn.follow_up else None)


class WebAnswers:
    """An ``AnswerSource`` for the browser; every public method is safe to call from any thread."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._cond = threading.Condition()
        self.turn: Turn | None = None
        self.key: str | None = None
        self.started = 0.0
        self.deadline = 0.0  # the question's or the interview's end, whichever comes first
        self.interview_deadline = 0.0
        self.text = ""  # the latest text a page sent for the open turn
        self.saved_at: float | None = None  # when a draft of the open turn last reached the disk
        self.problem: str | None = None  # the disk refused the last save
        self.version = 0  # bumped whenever a turn opens or closes: pages reload on a change
        self.stopping = False
        self.failed: str | None = None  # the engine stopped on an error (set by its owner)
        self._reply: Reply | None = None
        self._ended: dict[str, str] = {}  # turn key -> how it ended
        self._on_disk: set[str] = set()  # turn keys whose reply the engine has saved
        self.last_seen = clock()
        self._left_at: float | None = None

    # -- the engine's side (AnswerSource) -------------------------------------------------------
    def ask(self, turn: Turn) -> Reply:
        with self._cond:
            now = self.clock()
            self.turn, self.key, self.started = turn, key_of(turn), now
            self.interview_deadline = now + turn.interview_seconds_left
            self.deadline = now + min(turn.seconds_allowed, turn.interview_seconds_left)
            self.text, self.saved_at, self.problem, self._reply = turn.draft, None, None, None
            self.last_seen = max(self.last_seen, now)  # a page just answered, or asked to continue
            self._left_at = None
            self.version += 1
            self._cond.notify_all()
            next_save = now + AUTOSAVE
            while self._reply is None:
                now = self.clock()
                away = self._away(now)
                if self.stopping or away is not None:
                    # as Ctrl-C does: the turn stays open with its text and the time spent until then
                    spent = now if self.stopping else away
                    self._close(Reply(text=self.text, seconds_used=max(0.0, spent - self.started), pause=True))
                    break
                if now >= self.deadline + GRACE:
                    self._time_out()
                    if self._reply is not None:
                        break
                    next_save = now + AUTOSAVE  # the disk refused it: retry, nothing else
                elif now >= next_save:
                    self._save(self.text, now)  # the time spent, even when no page posts
                    next_save = now + AUTOSAVE
                self._cond.wait(min(1.0, max(0.05, min(next_save, self.deadline + GRACE) - now)))
            reply = self._reply
            self.turn = None
            self.version += 1
            self._cond.notify_all()
            return reply

    def saved(self, record) -> None:  # noqa: ANN001 - an AnswerRecord or a FollowUpRecord, on disk
        with self._cond:
            self._on_disk.add(turn_key(record.position, getattr(record, "number", None)))
            self._cond.notify_all()

    def stop(self) -> None:
        """The server is stopping: the open turn is paused with what the page last sent."""
        with self._cond:
            self.stopping = True
            self._cond.notify_all()

    def engine_ended(self, problem: str | None = None) -> None:
        """The engine is done (or failed): nothing waits for it any more."""
        with self._cond:
            self.failed = problem
            self.turn = None
            self.version += 1
            self._cond.notify_all()

    # -- the page's side -------------------------------------------------------------------------
    def seen(self, leaving: bool = False) -> None:
        """A page asked for the state (or said it is leaving: closed or reloaded)."""
        with self._cond:
            now = self.clock()
            if leaving:
                self._left_at = now
            else:
                self.last_seen, self._left_at = now, None

    def save_draft(self, key: str, text: str) -> None:
        """Save what the page typed; raises TurnClosed, or StorageError when the disk refuses it."""
        with self._cond:
            self._open(key)
            self.text = text
            self.last_seen = self.clock()
            self._save(text, self.last_seen, raise_errors=True)

    def reply(self, key: str, text: str, action: str) -> Posted:
        """Submit, skip, finish or pause the turn ``key``. Returns once the reply is on disk (a pause:
        once the engine has it). Raises TurnClosed, or StorageError when the disk refuses it (the
        turn stays open, the page keeps the text)."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        with self._cond:
            if key in self._ended:  # another tab (or a retried request) got there first
                return Posted(self._ended[key], duplicate=True)
            turn = self._open(key)
            now = self.clock()
            self.text, self.last_seen = text, now
            if action == "pause":
                self._close(Reply(text=text, seconds_used=now - self.started, pause=True))
                return Posted("paused")
            typed = bool(text.strip())
            ended = "submitted" if typed else "skipped"  # a skip with text typed submits it: never thrown away
            if now > self.deadline:  # the page's countdown ran out first: late text still counts
                reply = Reply(text=text, seconds_used=self.deadline - self.started, ended="timed_out")
            else:
                reply = Reply(text=text, seconds_used=now - self.started, ended=ended, finish=action == "finish")
            if turn.commit is not None:
                reply.record = turn.commit(reply)  # on disk before the page or the engine hears of it
                self._on_disk.add(key)
            self._close(reply)
            deadline = self.clock() + SAVE_WAIT
            while key not in self._on_disk and self.failed is None and self.clock() < deadline:
                self._cond.wait(0.5)
            if key not in self._on_disk:
                raise TurnClosed(self.failed or "the answer was not confirmed saved; reload the page")
            return Posted(reply.ended)

    def snapshot(self) -> dict:
        """The open turn's clock and text, for the page (times in seconds from now)."""
        with self._cond:
            now = self.clock()
            if self.turn is None:
                return {"key": None, "version": self.version}
            return {"key": self.key, "version": self.version, "text": self.text,
                    "seconds_left": max(0.0, self.deadline - now),
                    "question_left": max(0.0, self.started + self.turn.seconds_allowed - now),
                    "interview_left": max(0.0, self.interview_deadline - now),
                    "saved_ago": None if self.saved_at is None else max(0.0, now - self.saved_at),
                    "problem": self.problem}

    # -- inside the lock ---------------------------------------------------------------------------
    def _open(self, key: str) -> Turn:
        if self.turn is None or key != self.key:
            raise TurnClosed("this question is no longer open" if key != self.key else "no question is open")
        return self.turn

    def _away(self, now: float) -> float | None:
        """When the page was last there, if it is gone."""
        if self._left_at is not None and now - self._left_at >= LEFT_AFTER:
            return min(self._left_at, now)
        if now - self.last_seen >= AWAY_AFTER:
            return self.last_seen
        return None

    def _save(self, text: str, now: float, raise_errors: bool = False) -> None:
        assert self.turn is not None
        if self.turn.save_draft is None:
            return
        try:
            self.turn.save_draft(text, now - self.started)
        except Exception as e:  # noqa: BLE001 - a full disk: the text stays in memory and on the page
            self.problem = str(getattr(e, "reason", "") or e)[:160]
            if raise_errors:
                raise
            return
        self.saved_at, self.problem = now, None

    def _time_out(self) -> None:
        """The clock ran out: the last text a page sent is the answer, as it stands."""
        assert self.turn is not None
        reply = Reply(text=self.text, seconds_used=self.deadline - self.started, ended="timed_out")
        if self.turn.commit is not None:
            try:
                reply.record = self.turn.commit(reply)
            except Exception as e:  # noqa: BLE001 - kept in memory; retried on the next tick
                self.problem = str(getattr(e, "reason", "") or e)[:160]
                return
            self._on_disk.add(self.key or "")
        self._close(reply)

    def _close(self, reply: Reply) -> None:
        self._reply = reply
        self._ended[self.key or ""] = "paused" if reply.pause else reply.ended
        if reply.pause:
            self._on_disk.add(self.key or "")  # run_session saves the draft; nothing to wait for
        self._cond.notify_all()
