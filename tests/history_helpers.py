"""Synthetic histories for the analytics, drill, review and report tests: answers with verdicts
of a chosen score at a chosen time, without running a judge."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from reports.records import AnswerRecord, SessionRecord, SessionSettings
from rubrics.verdict import Credit, KeyPointVerdict, Similarity, Verdict

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


def verdict(qid: str, score: float, missed: tuple[str, ...] | None = None, **kw: object) -> Verdict:
    """A graded verdict scoring ``score``: key points p1/p2 (``missed`` ones get no credit; by
    default p2 when the score is 5 or less). With p2 missed, p1 weighs ``score`` of 10; with both
    covered, a whole-answer similarity of ``score`` decides the score (the key points stay full,
    as drilling's "missed key point" logic expects)."""
    if missed is None:
        missed = ("p2",) if score <= 5 else ()
    s = score / 10
    similarity = None
    if "p1" in missed or s <= 0:
        weights = (1.0, 1.0)
    elif "p2" in missed and s < 1:
        weights = (s, 1 - s)
    else:
        weights = (1.0, 1.0)
        if s < 1:
            similarity = Similarity(score=score, weight=1.0)
    credits = [Credit.none if p in missed or s <= 0 else Credit.full for p in ("p1", "p2")]
    kps = [KeyPointVerdict(id=p, text=f"point {p}", weight=w, credit=c, evidence=None if c == Credit.none else "alpha")
           for p, w, c in zip(("p1", "p2"), weights, credits)]
    v = Verdict(question_id=qid, judge="synthetic", key_points=kps, similarity=similarity, **kw)  # type: ignore[arg-type]
    assert abs(v.score - score) < 0.02, (v.score, score)
    return v


def answer(session_id: str, pos: int, qid: str, score: float | None, at: datetime,
           missed: tuple[str, ...] | None = None, text: str = "alpha") -> AnswerRecord:
    v = (Verdict.ungraded(qid, "judge error: boom", judge="synthetic") if score is None
         else verdict(qid, score, missed))
    return AnswerRecord(session_id=session_id, position=pos, question_id=qid, answer=text, seconds_used=60,
                        seconds_allowed=180, submitted_at=at, verdict=v)


def history(spec: list[list[tuple[str, float | None]]], start: datetime = T0, days_between: float = 1.0,
            mode: str = "start") -> tuple[list[SessionRecord], list[AnswerRecord]]:
    """``[[(qid, score), ...], ...]``: one inner list per session, sessions ``days_between`` apart."""
    sessions, answers = [], []
    for i, items in enumerate(spec):
        at = start + timedelta(days=i * days_between)
        s = SessionRecord(id=f"s{i:03d}", created_at=at, finished_at=at + timedelta(minutes=30), status="finished",
                          settings=SessionSettings(mode=mode, count=len(items)),  # type: ignore[arg-type]
                          plan=[q for q, _ in items])
        sessions.append(s)
        for pos, (qid, score) in enumerate(items):
            answers.append(answer(s.id, pos, qid, score, at + timedelta(minutes=pos)))
    return sessions, answers
