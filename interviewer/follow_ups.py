"""The interviewer digs in: after a main answer, up to N follow-ups, one at a time.

Each follow-up is chosen from what the answer showed (``interviewer.follow_up_choice``), asked with
the question's clock plus its own allowance (``session.FOLLOW_UP_SECONDS``), and handled like a main
answer: recorded before the candidate sees it (with the wording asked, which a model may have
phrased), autosaved while typed, paused with Ctrl-C, committed before grading and graded in the
background against the ladder item's own rubric. A skipped follow-up ends the thread: the candidate
wants to move on.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from interviewer.follow_up_choice import next_follow_up
from question_bank.models import FollowUp, Question, Text
from reports.records import AnswerRecord, FollowUpRecord, SessionRecord
from rubrics.judge import grade_answer
from rubrics.verdict import Verdict

if TYPE_CHECKING:
    from interviewer.session import BackgroundGrader
    from interviewer.store import Store

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
#: Seconds after the interview starts that the offline judge is warmed up for the first follow-up:
#: the first question is drawn first (loading is CPU-bound and holds the GIL).
WARM_UP_AFTER = 2.0
#: phrase(question, follow-up, main answer, lang) -> (the follow-up as the model words it, model),
#: or None to ask the bank's wording
Phraser = Callable[[Question, FollowUp, str, str], "tuple[str, str] | None"]


def bank_follow_up(question: Question, turn: FollowUpRecord) -> FollowUp | None:
    return next((f for f in question.follow_ups if f.id == turn.follow_up_id), None)


def asked_question(question: Question, turn: FollowUpRecord) -> Question | None:
    """A stored follow-up as the question to grade its answer against: the ladder item's rubric and
    reference, with the wording that was asked; None when the bank no longer has it."""
    fu = bank_follow_up(question, turn)
    if fu is None:
        return None
    q = question.follow_up_question(fu)
    if turn.phrased_by and turn.text:  # a model's wording, in the session's language
        q.text = Text(en=fu.text.en, zh=turn.text) if _CJK.search(turn.text) else Text(en=turn.text, zh=fu.text.zh)
    return q


def grade_left_over(answers: list[AnswerRecord], questions: dict[str, Question], grader: BackgroundGrader) -> None:
    """Hand the follow-up answers a crash left ungraded to the grader."""
    for a in answers:
        q = questions.get(a.question_id)
        for f in a.follow_ups:
            gq = asked_question(q, f) if q else None
            if f.answer is not None and f.verdict is None and gq is not None:
                grader.submit(f, gq)


class FollowUps:
    """Runs the follow-up part of each question's thread for ``run_session``."""

    def __init__(self, store: Store, session: SessionRecord, source: object, grader: BackgroundGrader,
                 total: int, phrase: Phraser | None = None, clock: Callable[[], float] = time.monotonic,
                 warm_up: bool = False) -> None:
        self.store, self.session, self.source, self.grader = store, session, source, grader
        self.total, self.phrase, self.clock = total, phrase, clock
        self.planned = session.settings.follow_ups
        self._offline = None
        self._offline_lock = threading.Lock()
        if warm_up:  # the offline judge's dictionaries take a second or two to load: not after the answer
            timer = threading.Timer(WARM_UP_AFTER, self._warm_up)  # once the first question is drawn
            timer.daemon = True
            timer.start()

    # --- the verdict a choice is made from ------------------------------------------------------
    def _grades_offline(self) -> bool:
        return getattr(self.grader.judge, "name", None) == "offline"

    def _offline_judge(self):  # noqa: ANN202
        with self._offline_lock:
            if self._offline is None:
                from rubrics.offline import OfflineJudge

                self._offline = OfflineJudge()
            return self._offline

    def _warm_up(self) -> None:
        q = Question(id="warm-up", topic="warm-up", difficulty="easy", text=Text(en="Why?"),
                     reference_answer=Text(en="Because."))
        try:
            if self._grades_offline():  # in the grader's own worker: never two grades at once
                self.grader.grade_unsaved(q, "attention 注意力")
            else:
                grade_answer(self._offline_judge(), q, "attention 注意力")
        except RuntimeError:  # the interview was over first: the grader no longer takes work
            pass

    def grade_main(self, record: AnswerRecord, question: Question) -> Verdict | None:
        """Start grading a main answer that follow-ups will come after; the verdict to choose them
        from. With the offline judge, the answer's own verdict: it is graded at once (tens of
        milliseconds), saved, and waited for. With an LLM judge, nothing waits for the model: its
        grading goes to the background as usual, and the choice is made from the offline judge's
        verdict of the same answer (always available, and fast), which is not saved."""
        if self._grades_offline():
            return self.grader.grade_now(record, question)
        self.grader.submit(record, question)
        return self.choice_verdict(record, question)

    def choice_verdict(self, record: AnswerRecord, question: Question) -> Verdict | None:
        """The verdict that chooses follow-ups for an answer already handed to the grader."""
        if self._grades_offline():
            return record.verdict or self.grader.grade_unsaved(question, record.answer).result()
        return grade_answer(self._offline_judge(), question, record.answer)

    # --- the thread ---------------------------------------------------------------------------
    def run(self, record: AnswerRecord, question: Question, allowance: float, extra: float, elapsed: float,
            verdict: Verdict | None = None) -> tuple[float, str]:
        """Ask the follow-ups still due after ``record`` (none asked yet, or one left open by a
        pause or a crash); returns the interview's elapsed seconds and how the thread ended:
        "done", "pause", "finish" (the candidate ended the interview), "out" (the answer source has
        no reply) or "time" (the interview's clock ran out)."""
        if not self.planned or not question.follow_ups or not record.answer.strip():
            return elapsed, "done"
        turns = list(record.follow_ups)
        budget = self.session.settings.minutes * 60
        can_answer = getattr(self.source, "answers_follow_up", None)
        while True:
            open_turn = turns[-1] if turns and turns[-1].answer is None else None
            if turns and open_turn is None and turns[-1].ended == "skipped":
                return elapsed, "done"
            left = budget - elapsed
            if left <= 0.5:
                return elapsed, "time"
            if open_turn is None:
                number = len(turns) + 1
                if number > self.planned or (can_answer is not None and not can_answer(record.position, number)):
                    return elapsed, "done"
                if verdict is None:
                    verdict = self.choice_verdict(record, question)
                choice = next_follow_up(question, verdict, [t.follow_up_id for t in turns], self.session.settings.seed)
                if choice is None:
                    return elapsed, "done"
                used = record.seconds_used + sum(t.seconds_used for t in turns)
                turn = self._ask(record, question, choice.follow_up, number,
                                 min(allowance + number * extra - used, left), extra,
                                 "gap:" + (choice.point or "") if choice.why == "gap" else choice.why)
                turns.append(turn)
                record.follow_ups.append(turn)
                used_before = 0.0
            else:
                turn, used_before = open_turn, open_turn.seconds_used
            allowed = min(turn.seconds_allowed - used_before, left)
            elapsed, end = self._answer(record, question, turn, turns, allowed, used_before, elapsed, left)
            if end != "next":
                return elapsed, end

    def _ask(self, record: AnswerRecord, question: Question, fu: FollowUp, number: int, allowed: float, extra: float,
             reason: str) -> FollowUpRecord:
        """Word the follow-up and record it as asked, before the candidate sees it."""
        lang = self.session.settings.lang
        text, model = fu.text.get(lang), None
        if self.phrase is not None:
            phrased = self.phrase(question, fu, record.answer, lang)
            if phrased:
                text, model = phrased
        turn = FollowUpRecord(session_id=self.session.id, position=record.position, number=number,
                              question_id=question.id, follow_up_id=fu.id, level=fu.level, text=text,
                              phrased_by=model, reason=reason, seconds_allowed=round(allowed, 2),
                              seconds_added=round(extra, 2))
        assert record.id is not None
        self.store.ask_follow_up(turn, record.id)
        return turn

    def _answer(self, record: AnswerRecord, question: Question, turn: FollowUpRecord, turns: list[FollowUpRecord],
                allowed: float, used_before: float, elapsed: float, left: float) -> tuple[float, str]:
        from interviewer.session import FollowUpAsk, Reply, Turn

        lang = self.session.settings.lang
        thread = [(question.text.get(lang), record.answer)] + [(t.text, t.answer or "") for t in turns if t is not turn]
        ask = FollowUpAsk(number=turn.number, planned=self.planned, level=turn.level, text=turn.text,
                          seconds_added=turn.seconds_added, thread=thread)

        def autosave(text: str, seconds: float, before: float = used_before, base: float = elapsed) -> None:
            assert turn.id is not None
            self.store.save_follow_up_draft(turn.id, text, before + seconds)
            self.store.update_elapsed(self.session.id, base + seconds)

        shown = Turn(question, record.position, self.total, allowed, left, lang, draft=turn.draft,
                     save_draft=autosave, follow_up=ask, follow_ups_planned=self.planned)
        started = self.clock()
        if allowed <= 0.5:  # its time ran out before the interruption: what was typed is the answer
            reply: Reply | None = Reply(text=turn.draft, seconds_used=max(allowed, 0.0), ended="timed_out")
        else:
            reply = self.source.ask(shown)  # type: ignore[attr-defined]
        if reply is None:
            return elapsed, "out"
        used = reply.seconds_used if reply.seconds_used else self.clock() - started
        elapsed += used
        if reply.pause:  # the follow-up stays open: its text and the time spent wait for `resume`
            assert turn.id is not None
            turn.draft = reply.text
            self.store.save_follow_up_draft(turn.id, reply.text, used_before + used)
            self.store.update_elapsed(self.session.id, elapsed)
            return elapsed, "pause"
        turn.answer, turn.ended = reply.text, reply.ended
        turn.seconds_used, turn.seconds_allowed = round(used_before + used, 2), round(used_before + allowed, 2)
        self.store.submit_follow_up(turn)  # on disk before anything else happens to it
        if hasattr(self.source, "saved"):
            self.source.saved(turn)
        self.store.update_elapsed(self.session.id, elapsed)
        graded = asked_question(question, turn)
        if graded is not None:
            self.grader.submit(turn, graded)
        if reply.finish:
            return elapsed, "finish"
        return elapsed, "done" if reply.ended == "skipped" else "next"
