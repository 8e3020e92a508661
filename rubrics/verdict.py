"""Verdicts: what any judge returns. The score is computed here, by code, from the per-key-point
credits and the misconception penalties, never taken from a model's say-so."""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

MAX_SCORE = 10.0
CREDIT_VALUE = {"full": 1.0, "partial": 0.5, "none": 0.0}


class Credit(str, Enum):
    full = "full"
    partial = "partial"
    none = "none"


class KeyPointVerdict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    text: str = ""
    weight: float = Field(default=1.0, gt=0)
    credit: Credit = Credit.none
    evidence: str | None = Field(default=None, description="A span quoted verbatim from the answer.")
    rationale: str | None = None


class MisconceptionHit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    text: str = ""
    penalty: float = Field(default=1.0, ge=0)
    evidence: str | None = None


FlagKind = Literal[
    "manipulation",  # instructions to the grader, fake verdicts, role turns in the answer
    "keyword_stuffing",  # terms listed without explanation
    "judge_disagreement",  # the model's holistic score is far from the computed one
    "truncated",  # the answer was graded on a truncated copy
    "unverified_evidence",  # a judge quoted evidence that is not in the answer
    "sample_spread",  # repeated samples disagreed
]


class Flag(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: FlagKind
    detail: str = ""


class Usage(BaseModel):
    """Tokens, cost and time spent producing the verdict (zero for offline judging)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = Field(default=None, description="None when the price is unknown.")
    duration_ms: float = 0.0
    calls: int = 0
    cached: bool = False


class Verdict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question_id: str
    status: Literal["graded", "ungraded"] = "graded"
    reason: str | None = Field(default=None, description="Why the answer is ungraded, or why it got 0 unseen.")
    key_points: list[KeyPointVerdict] = Field(default_factory=list)
    misconceptions: list[MisconceptionHit] = Field(default_factory=list)
    feedback: str = ""
    judge: str = "offline"
    model: str | None = None
    prompt_version: str | None = None
    holistic_score: float | None = Field(default=None, description="The judge's own overall score, a cross-check only.")
    flags: list[Flag] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    graded_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))

    @model_validator(mode="before")
    @classmethod
    def _drop_computed(cls, data: object) -> object:
        """A dumped verdict carries its computed score; reloading recomputes it instead."""
        if isinstance(data, dict) and ("score" in data or "max_score" in data):
            data = {k: v for k, v in data.items() if k not in ("score", "max_score")}
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def score(self) -> float | None:
        """0-10 from weighted credits minus penalties; None when ungraded."""
        if self.status != "graded":
            return None
        return compute_score(self.key_points, self.misconceptions)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def max_score(self) -> float:
        return MAX_SCORE

    def has_flag(self, kind: str) -> bool:
        return any(f.kind == kind for f in self.flags)

    @classmethod
    def ungraded(cls, question_id: str, reason: str, **kw: object) -> Verdict:
        return cls(question_id=question_id, status="ungraded", reason=reason, **kw)  # type: ignore[arg-type]


def compute_score(key_points: list[KeyPointVerdict], misconceptions: list[MisconceptionHit]) -> float:
    total = sum(kp.weight for kp in key_points)
    if total <= 0:
        return 0.0
    earned = sum(kp.weight * CREDIT_VALUE[kp.credit.value] for kp in key_points)
    raw = MAX_SCORE * earned / total - sum(m.penalty for m in misconceptions)
    return round(min(MAX_SCORE, max(0.0, raw)), 2)
