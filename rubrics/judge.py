"""The judge protocol and the checks every judge shares.

A judge only turns (question, answer) into a Verdict. It knows nothing of sessions or terminals;
what it needs from the outside world (a cache, a log of LLM calls) comes in through the small
protocols below, which the interviewer's SQLite store implements.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, Field

from question_bank.models import Question
from rubrics.secrets import redact
from rubrics.verdict import Flag, Verdict

#: Answers longer than this are stored in full but graded on a truncated copy.
MAX_GRADED_CHARS = 12_000


@runtime_checkable
class Judge(Protocol):
    """Every judge must be thread-safe: ``grade`` is called from several threads at once (the
    interviewer's background pool, the LLM judge's own cross-check)."""

    name: str

    def grade(self, question: Question, answer: str) -> Verdict: ...


class LLMCall(BaseModel):
    """One request to a model, as logged for cost and debugging."""

    model: str
    question_id: str | None = None
    purpose: str = "grade"
    status: str = "ok"  # ok | error | invalid
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    duration_ms: float = 0.0
    cached: bool = False
    started_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))


class CallLog(Protocol):
    def record_call(self, call: LLMCall) -> None: ...


class VerdictCache(Protocol):
    def cache_get(self, key: str) -> Verdict | None: ...

    def cache_put(self, key: str, verdict: Verdict) -> None: ...


def prepare_answer(judge: Judge, question: Question, answer: str) -> tuple[Verdict | None, str, bool]:
    """(verdict that needs no judge, or None; the text to grade; whether it was truncated)."""
    if not answer or not answer.strip():
        return Verdict(question_id=question.id, judge=judge.name, reason="no answer", feedback="No answer was given."), answer, False
    truncated = len(answer) > MAX_GRADED_CHARS
    return None, (answer[:MAX_GRADED_CHARS] if truncated else answer), truncated


def finish_verdict(verdict: Verdict, answer: str, truncated: bool, started: float) -> Verdict:
    """Flag a truncated answer and fill in the duration, as every grading path must."""
    if truncated:
        verdict.flags.append(
            Flag(kind="truncated", detail=f"graded the first {MAX_GRADED_CHARS:,} of {len(answer):,} characters")
        )
    if not verdict.usage.duration_ms:
        verdict.usage.duration_ms = (time.perf_counter() - started) * 1000
    return verdict


async def agrade_answer(judge: Judge, question: Question, answer: str) -> Verdict:
    """``grade_answer`` for judges with an ``agrade`` coroutine: the same rules, no thread per request."""
    early, graded, truncated = prepare_answer(judge, question, answer)
    if early is not None:
        return early
    started = time.perf_counter()
    try:
        verdict = await judge.agrade(question, graded)  # type: ignore[attr-defined]
    except Exception as e:  # noqa: BLE001 - any judge failure must leave the answer regradable
        return Verdict.ungraded(
            question.id, f"judge error: {e.__class__.__name__}: {redact(str(e))[:300]}", judge=judge.name
        )
    return finish_verdict(verdict, answer, truncated, started)


def grade_answer(judge: Judge, question: Question, answer: str) -> Verdict:
    """Grade with the shared rules: an empty answer is 0 without asking the judge, a huge answer is
    graded on a truncated copy (and flagged), and a judge that fails yields an *ungraded* verdict,
    never a 0."""
    early, graded, truncated = prepare_answer(judge, question, answer)
    if early is not None:
        return early
    started = time.perf_counter()
    try:
        verdict = judge.grade(question, graded)
    except Exception as e:  # noqa: BLE001 - any judge failure must leave the answer regradable
        return Verdict.ungraded(
            question.id, f"judge error: {e.__class__.__name__}: {redact(str(e))[:300]}", judge=judge.name
        )
    return finish_verdict(verdict, answer, truncated, started)
