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
    #: Follow-ups asked after each main answer (0 for sessions from before follow-ups existed).
    follow_ups: int = Field(default=0, ge=0)


class SessionRecord(BaseModel):
    id: str
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    status: Literal["active", "finished"] = "active"
    settings: SessionSettings = Field(default_factory=SessionSettings)
    plan: list[str] = Field(default_factory=list, description="Question ids in the order they are asked.")
    reasons: dict[str, str] = Field(default_factory=dict, description="Why each question was chosen (drills).")
    elapsed_seconds: float = Field(default=0.0, description="Interview time used so far, for resume.")
    variants: dict[int, str] = Field(
        default_factory=dict,
        description="Position -> the row a parameterised question is asked with; absent: the canonical row.")


class FollowUpRecord(BaseModel):
    """One follow-up of a question's thread: stored when it is asked (so ``resume`` returns to it
    with its wording, text and time), then its answer, then its verdict."""

    id: int | None = None
    session_id: str
    position: int  # the main question's
    number: int = Field(ge=1, description="1 for the first follow-up of the thread.")
    question_id: str  # the main question's
    follow_up_id: str
    level: str
    text: str = Field(description="The follow-up exactly as asked.")
    phrased_by: str | None = Field(default=None, description="The model that worded it; None: the bank's wording.")
    reason: str = Field(default="", description="Why it was chosen: 'gap:<key point id>' or 'deeper'.")
    draft: str = ""
    answer: str | None = Field(default=None, description="None while the follow-up is open.")
    seconds_used: float = 0.0
    seconds_allowed: float = 0.0
    seconds_added: float = Field(default=0.0, description="What the follow-up added to the question's clock.")
    asked_at: datetime = Field(default_factory=utcnow)
    submitted_at: datetime | None = None
    ended: AnswerEnd | None = None
    verdict: Verdict | None = None

    @property
    def gradable_id(self) -> str:
        """The id of the follow-up as a question of its own (``Question.follow_up_question``)."""
        return f"{self.question_id}~{self.follow_up_id}"


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
    variant: str | None = Field(default=None, description="The row of a parameterised question; None: canonical.")
    verdict: Verdict | None = None
    follow_ups: list[FollowUpRecord] = Field(default_factory=list, description="Its thread, in the order asked.")
