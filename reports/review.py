"""Spaced repetition over interview questions with FSRS (the ``fsrs`` library).

No card state is stored: each question's card is rebuilt by replaying its graded answers in the
order they were submitted, so the schedule can never drift from the history (regrading an answer
or deleting a session changes the schedule the next time it is computed, as it should).

Score -> rating (0-10 scale, the verdict's computed score):

    score < 4.0   Again   the answer missed most of the rubric
    score < 6.0   Hard    about half of the points, or a penalised misconception
    score < 8.5   Good    most points, something left out
    otherwise     Easy    (almost) every key point

The score is the question's, follow-ups included (``reports.question_score``): a perfect answer
that fell apart under follow-up questions is reviewed sooner. Ungraded answers (a judge failure)
are not reviews: they say nothing about the candidate. An empty or skipped answer is graded 0 and
therefore counts as Again.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timezone

from fsrs import Card, Rating, Scheduler

from reports.question_score import question_score
from reports.records import AnswerRecord

#: Upper bounds (exclusive) of the score bands, lowest first; the last band is Easy.
RATING_BANDS: tuple[tuple[float, Rating], ...] = (
    (4.0, Rating.Again),
    (6.0, Rating.Hard),
    (8.5, Rating.Good),
)


def score_to_rating(score: float) -> Rating:
    for bound, rating in RATING_BANDS:
        if score < bound:
            return rating
    return Rating.Easy


@dataclass
class ReviewState:
    """One question's card after replaying its history, plus what a drill needs to explain itself."""

    question_id: str
    card: Card
    reviews: int
    last_score: float
    last_at: datetime
    last_answer: AnswerRecord

    @property
    def due(self) -> datetime:
        return self.card.due

    def is_due(self, now: datetime) -> bool:
        return self.card.due <= now


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def replay(answers: list[AnswerRecord], scheduler: Scheduler | None = None) -> dict[str, ReviewState]:
    """Cards for every question with at least one graded answer, keyed by question id."""
    scheduler = scheduler or Scheduler(enable_fuzzing=False)
    graded = [a for a in answers if question_score(a) is not None]
    graded.sort(key=lambda a: (_aware(a.submitted_at), a.session_id, a.position))
    states: dict[str, ReviewState] = {}
    for a in graded:
        at = _aware(a.submitted_at)
        score = float(question_score(a))  # type: ignore[arg-type]
        st = states.get(a.question_id)
        if st is None:
            # an explicit id: Card() would otherwise sleep 1 ms to make a time-based one
            card = Card(card_id=zlib.crc32(a.question_id.encode()), due=at)
            st = states[a.question_id] = ReviewState(a.question_id, card, 0, score, at, a)
        st.card, _ = scheduler.review_card(st.card, score_to_rating(score), review_datetime=at)
        st.reviews += 1
        st.last_score, st.last_at, st.last_answer = score, at, a
    return states


def due_reviews(states: dict[str, ReviewState], now: datetime | None = None,
                scheduler: Scheduler | None = None) -> list[ReviewState]:
    """Cards due at ``now``, the one you are most likely to have forgotten (lowest FSRS
    retrievability) first; ties: the lower last score first. Ordering by retrievability rather
    than by topic keeps a long-overdue question from a strong topic from starving."""
    scheduler = scheduler or Scheduler(enable_fuzzing=False)
    now = _aware(now or datetime.now(timezone.utc))
    due = [s for s in states.values() if s.is_due(now)]
    due.sort(key=lambda s: (round(scheduler.get_card_retrievability(s.card, now), 4), s.last_score, s.question_id))
    return due
