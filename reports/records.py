"""Session and answer records: what the interviewer persists and the reports read.

They live here, not in ``interviewer``, because reports are views of them and the package
dependencies point one way (question_bank <- rubrics <- reports <- interviewer).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel, Field

from rubrics.verdict import Verdict

AnswerEnd = Literal["submitted", "timed_out", "skipped"]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class SessionSettings(BaseModel):
    mode: Literal["start", "drill"] = "start"
    topics: list[str] = Field(default_factory=list)
    difficulty: str = "mixed"
    count: int = 5
    minutes: float = 30.0
    seed: int | None = None
    judge: str = "offline"
    # How to reach the judge again on resume/regrade (never the key itself, only its env var's name).
    api_base: str | None = None
    api_key_env: str | None = None
    router_config: str | None = None
    samples: int = 1
    timeout: float | None = None  # seconds per request, when given on the command line
    lang: Literal["en", "zh"] = "en"
    banks: list[str] = Field(default_factory=list)


class SessionRecord(BaseModel):
    id: str
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    status: Literal["active", "finished"] = "active"
    settings: SessionSettings = Field(default_factory=SessionSettings)
    plan: list[str] = Field(default_factory=list, description="Question ids in the order they are asked.")
    reasons: dict[str, str] = Field(default_factory=dict, description="Why each question was chosen (drills).")
    elapsed_seconds: float = Field(default=0.0, description="Interview time used so far, for resume.")


class AnswerRecord(BaseModel):
    id: int | None = None
    session_id: str
    position: int
    question_id: str
    answer: str
    seconds_used: float = 0.0
    seconds_allowed: float = 0.0
    submitted_at: datetime = Field(default_factory=utcnow)
    ended: AnswerEnd = "submitted"
    verdict: Verdict | None = None
