"""A question's score once follow-ups are asked: the main answer and its thread, combined.

The main answer weighs ``MAIN_WEIGHT`` (70%) and the follow-ups share ``FOLLOW_UPS_WEIGHT`` (30%)
equally. Only follow-ups that were asked count: one asked and skipped (or left empty) scores 0 like
a skipped question, one never asked (follow-ups off, the interview over) takes no share, and one
whose grading failed or is pending is left out until it is graded, as an ungraded answer is left
out of the overall score; with no follow-up counted, the question's score is its main answer's.
The report, topic mastery, the trend and the review schedule all read this one number.
"""

from __future__ import annotations

from reports.records import AnswerRecord, FollowUpRecord

MAIN_WEIGHT = 0.7
FOLLOW_UPS_WEIGHT = 0.3


def counted_follow_ups(record: AnswerRecord) -> list[FollowUpRecord]:
    """The follow-ups that take a share of the question's score: answered (or skipped) and graded."""
    return [f for f in record.follow_ups if f.answer is not None and f.verdict is not None and f.verdict.score is not None]


def combine(main: float, follow_ups: list[float]) -> float:
    if not follow_ups:
        return main
    return round(MAIN_WEIGHT * main + FOLLOW_UPS_WEIGHT * sum(follow_ups) / len(follow_ups), 2)


def question_score(record: AnswerRecord) -> float | None:
    """The question's 0-10 score; None while its main answer is ungraded or pending."""
    if record.verdict is None or record.verdict.score is None:
        return None
    return combine(record.verdict.score, [f.verdict.score for f in counted_follow_ups(record)])  # type: ignore[union-attr,misc]
