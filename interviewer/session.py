"""The session loop: ask, persist, grade in the background, dig in with follow-ups, move on.

Order of events for every answer is fixed: the text is committed to SQLite first, then handed to
the background grader. A crash at any point therefore loses no submitted answer, and ``resume``
picks up at the first position without an answer (or inside the follow-up that was open) and
grades whatever was left ungraded. Follow-ups are ``interviewer.follow_ups``.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Protocol

from interviewer.follow_ups import FollowUps, Phraser, grade_left_over
from interviewer.store import StorageError, Store
from question_bank.loader import Bank
from question_bank.models import Question
from question_bank.variants import row_of, variant
from reports.records import AnswerEnd, AnswerRecord, FollowUpRecord, SessionRecord, SessionSettings
from rubrics.judge import Judge, grade_answer
from rubrics.verdict import Verdict

#: Per-question time by difficulty, in minutes, before the interview's total budget caps it.
MINUTES_BY_DIFFICULTY = {"easy": 3.0, "medium": 5.0, "hard": 8.0}
#: Seconds each follow-up adds to its question's clock, by difficulty: follow-ups share the
#: question's time and get this allowance on top (scaled like the rest when --minutes is given).
FOLLOW_UP_SECONDS = {"easy": 60.0, "medium": 90.0, "hard": 120.0}


@dataclass
class FollowUpAsk:
    """A follow-up as the UI shows it: the thread so far, then the follow-up."""

    number: int  # 1 for the first follow-up of the question
    planned: int  # follow-ups per question in this interview
    level: str
    text: str
    seconds_added: float  # what it added to the question's clock
    #: (what was asked, what was answered) before this follow-up, the main question first
    thread: list[tuple[str, str]]


@dataclass
class Turn:
    """What the candidate is asked: everything the UI needs to show, nothing it must compute."""

    question: Question
    position: int  # 0-based
    total: int
    seconds_allowed: float
    interview_seconds_left: float
    lang: str
    draft: str = ""  # text typed before an interruption, to continue from
    #: The UI calls this every few seconds, with the text and the seconds spent so far on this turn.
    save_draft: Callable[[str, float], None] | None = None
    #: Puts a reply on disk and returns its record; raises StorageError when the disk refuses it.
    #: A UI that calls it keeps the text on screen until it succeeds (and sets ``Reply.record``).
    commit: Callable[[Reply], AnswerRecord] | None = None
    follow_up: FollowUpAsk | None = None  # set when this turn is a follow-up of ``question``
    follow_ups_planned: int = 0  # how many follow-ups may follow the main answer


@dataclass
class Reply:
    text: str
    seconds_used: float
    ended: AnswerEnd = "submitted"
    finish: bool = False  # the candidate asked to end the interview after this answer
    pause: bool = False  # Ctrl-C: keep the question open (text and time used) for `resume`
    record: AnswerRecord | None = None  # set when the UI already committed the reply (Turn.commit)


class AnswerSource(Protocol):
    def ask(self, turn: Turn) -> Reply | None:
        """The candidate's reply, or None when there is no reply to record (script ran out)."""


def new_session_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


def create_session(store: Store, settings: SessionSettings, plan: list[str], reasons: dict[str, str] | None = None,
                   variants: dict[int, str] | None = None) -> SessionRecord:
    """``variants``: position -> the row each parameterised question is asked with
    (``interviewer.variants.draw_variants``); a question without one is asked with its canonical row."""
    session = SessionRecord(id=new_session_id(), settings=settings, plan=plan, reasons=reasons or {},
                            variants=variants or {})
    store.create_session(session)
    return session


class BackgroundGrader:
    """Grades answers off the UI thread; each verdict is saved the moment it exists."""

    def __init__(self, store: Store, judge: Judge, workers: int = 1,
                 on_graded: Callable[[AnswerRecord, Verdict], None] | None = None):
        self.store = store
        self.judge = judge
        self.on_graded = on_graded
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="grader")
        self._futures: list[Future] = []
        self._lock = threading.Lock()

    def submit(self, record: AnswerRecord | FollowUpRecord, question: Question) -> Future:
        """Grade a main answer, or a follow-up's answer against ``question`` (the follow-up as a
        question of its own), off this thread."""
        fut = self._pool.submit(self._grade, record, question)
        with self._lock:
            self._futures.append(fut)
        return fut

    def grade_now(self, record: AnswerRecord, question: Question) -> Verdict:
        """Grade and save, waiting for the verdict (choosing a follow-up needs it). Through the pool,
        after what is queued, so that a judge with one worker (the offline judge) never grades two
        answers at once."""
        return self.submit(record, question).result()

    def grade_unsaved(self, question: Question, answer: str) -> Future:
        """A verdict that is not saved (to choose a follow-up, to warm the judge up), from the pool
        like the others, for the same reason as ``grade_now``."""
        return self._pool.submit(grade_answer, self.judge, question, answer)

    def _grade(self, record: AnswerRecord | FollowUpRecord, question: Question) -> Verdict:
        verdict = grade_answer(self.judge, question, record.answer or "")
        assert record.id is not None
        if isinstance(record, FollowUpRecord):
            self.store.save_follow_up_verdict(record.id, verdict)
        else:
            self.store.save_verdict(record.id, verdict)
        record.verdict = verdict
        if self.on_graded:
            self.on_graded(record, verdict)
        return verdict

    def pending(self) -> int:
        with self._lock:
            return sum(not f.done() for f in self._futures)

    def wait(self) -> None:
        with self._lock:
            futures = list(self._futures)
        for f in futures:
            f.result()

    def close(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)


def plan_clock(questions: list[Question], settings: SessionSettings) -> tuple[list[float], list[float]]:
    """(seconds per main question, seconds each of its follow-ups adds): proportional to
    difficulty, a question and its follow-ups together summing to the interview's minutes."""
    n = settings.follow_ups
    weights = [MINUTES_BY_DIFFICULTY[q.difficulty] * 60 + n * FOLLOW_UP_SECONDS[q.difficulty] for q in questions]
    scale = settings.minutes * 60 / sum(weights) if weights else 1.0
    return ([MINUTES_BY_DIFFICULTY[q.difficulty] * 60 * scale for q in questions],
            [FOLLOW_UP_SECONDS[q.difficulty] * scale for q in questions])


def plan_allowances(questions: list[Question], settings: SessionSettings) -> list[float]:
    """Seconds per main question (see ``plan_clock``)."""
    return plan_clock(questions, settings)[0]


@dataclass
class Outcome:
    session: SessionRecord
    answered: int
    finished: bool
    paused: bool


#: How a thread of follow-ups that did not simply end ends the interview: (finished, paused).
_THREAD_ENDS = {"pause": (False, True), "out": (False, False), "finish": (True, False), "time": (True, False)}


def run_session(
    store: Store,
    bank: Bank,
    session: SessionRecord,
    source: AnswerSource | None,
    grader: BackgroundGrader,
    clock: Callable[[], float] = time.monotonic,
    phrase: Phraser | None = None,
    warm_up: bool = False,
) -> Outcome:
    """Ask every question of the plan that has no answer yet, each followed by its follow-ups.
    Returns when the plan is done, the interview's time is up, the candidate finishes early, or the
    candidate pauses (Ctrl-C). ``phrase`` lets a model word the follow-ups; ``warm_up`` loads what
    choosing them needs while the first question is answered. A finished session (killed while its
    last answers were graded) only gets its grading finished: ``source`` may then be None."""
    settings = session.settings
    # each parameterised question as the instance drawn for the session (the candidate sees its numbers)
    questions = [variant(bank.get(qid), session.variants.get(pos)) for pos, qid in enumerate(session.plan)]
    allowances, extras = plan_clock(questions, settings)
    done = {a.position: a for a in store.attach_follow_ups(store.answers(session.id))}
    for a in done.values():  # left ungraded by a crash
        if a.verdict is None:
            grader.submit(a, variant(bank.get(a.question_id), a.variant))
    grade_left_over(list(done.values()), {q.id: q for q in questions}, grader)
    if session.status == "finished":  # nothing left to ask
        return Outcome(session=session, answered=len(done), finished=True, paused=False)
    assert source is not None
    digger = FollowUps(store, session, source, grader, len(questions), phrase=phrase, clock=clock,
                       warm_up=warm_up) if settings.follow_ups else None
    budget = settings.minutes * 60
    elapsed = session.elapsed_seconds
    answered = len(done)
    last_done = max(done, default=-1)
    finished, paused = True, False
    for pos, q in enumerate(questions):
        if pos in done:
            if digger is None or pos != last_done:
                continue
            # the thread of the last answer may have been cut short by a pause or a crash
            elapsed, end = digger.run(done[pos], q, allowances[pos], extras[pos], elapsed)
            if end == "done":
                continue
            finished, paused = _THREAD_ENDS[end]
            break
        left = budget - elapsed
        if left <= 0.5:
            break
        draft, used_before = store.get_draft(session.id, pos)  # a paused or interrupted answer
        # exactly the time that was left at the pause or the last autosave: resuming gives none back
        allowed = min(allowances[pos] - used_before, left)

        def autosave(text: str, seconds: float, pos: int = pos, before: float = used_before, base: float = elapsed) -> None:
            store.save_draft(session.id, pos, text, before + seconds)
            store.update_elapsed(session.id, base + seconds)  # the interview's clock too, for a crash

        started = clock()

        def commit(reply: Reply, pos: int = pos, q: Question = q, before: float = used_before,
                   allowed: float = allowed, started: float = started) -> AnswerRecord:
            used = reply.seconds_used if reply.seconds_used else clock() - started
            record = AnswerRecord(
                session_id=session.id, position=pos, question_id=q.id, answer=reply.text,
                seconds_used=round(before + used, 2), seconds_allowed=round(before + allowed, 2), ended=reply.ended,
                variant=row_of(q),
            )
            store.add_answer(record)  # on disk before anything else happens to it
            return record

        turn = Turn(q, pos, len(questions), allowed, left, settings.lang, draft=draft, save_draft=autosave,
                    commit=commit, follow_ups_planned=settings.follow_ups)
        if allowed <= 0.5:  # its time ran out before the interruption: what was typed is the answer
            reply: Reply | None = Reply(text=draft, seconds_used=max(allowed, 0.0), ended="timed_out")
        else:
            reply = source.ask(turn)
        if reply is None:
            finished = False
            break
        used = reply.seconds_used if reply.seconds_used else clock() - started
        elapsed += used
        if reply.pause:  # the question stays open: its text and the time spent wait for `resume`
            try:
                store.save_draft(session.id, pos, reply.text, used_before + used)
                store.update_elapsed(session.id, elapsed)
            except StorageError as e:
                from interviewer.rescue import rescue_text

                where = rescue_text(store.path.parent, session.id, pos, reply.text) if reply.text.strip() else ""
                raise StorageError(f"{e}" + (f"; {where}" if where else ""), reason=e.reason) from None
            finished, paused = False, True
            break
        try:
            record = reply.record or commit(reply)
        except StorageError as e:
            raise StorageError(f"answer {pos + 1} was not saved: {e}", reason=e.reason) from None
        if hasattr(source, "saved"):
            source.saved(record)
        try:
            store.update_elapsed(session.id, elapsed)
        except StorageError:  # the answer is saved; the next update records the total time
            pass
        answered += 1
        if digger is not None and not reply.finish and q.follow_ups and record.answer.strip():
            elapsed, end = digger.run(record, q, allowances[pos], extras[pos], elapsed, digger.grade_main(record, q))
            if end == "done":
                continue
            finished, paused = _THREAD_ENDS[end]
            break
        grader.submit(record, q)
        if reply.finish:
            break
    session.elapsed_seconds = elapsed
    if finished:
        store.finish_session(session.id)
        session.status = "finished"
    return Outcome(session=session, answered=answered, finished=finished, paused=paused)
