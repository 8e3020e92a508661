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
    contradicted: bool = Field(default=False, description="The answer asserts the opposite of this point.")
    contradiction: str | None = Field(default=None, description="The span that asserts the opposite, verbatim.")
    misconception: str | None = Field(default=None, description="Id of the misconception that contradicted it.")


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


class Similarity(BaseModel):
    """Whole-answer similarity to the reference, blended into the score of a rubric that nobody
    wrote key points for (``rubrics.offline.similarity``)."""

    model_config = ConfigDict(extra="forbid")

    score: float = Field(ge=0, le=MAX_SCORE)
    weight: float = Field(ge=0, le=1, description="Share of the final score it decides.")
    recall: float = 0.0
    cosine: float = 0.0


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
    similarity: Similarity | None = Field(default=None, description="Set only for rubrics derived from a reference answer.")
    confidence: float | None = Field(
        default=None, ge=0, le=1, description="How far the judge trusts its own verdict (None: not estimated)."
    )
    confidence_notes: list[str] = Field(default_factory=list, description="Why the confidence is not high.")
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
        score = compute_score(self.key_points, self.misconceptions)
        if self.similarity is not None and self.similarity.weight > 0:
            w = self.similarity.weight
            score = round((1 - w) * score + w * self.similarity.score, 2)
        return score

    @computed_field  # type: ignore[prop-decorator]
    @property
    def max_score(self) -> float:
        return MAX_SCORE

    def has_flag(self, kind: str) -> bool:
        return any(f.kind == kind for f in self.flags)

    @classmethod
    def ungraded(cls, question_id: str, reason: str, **kw: object) -> Verdict:
        return cls(question_id=question_id, status="ungraded", reason=reason, **kw)  # type: ignore[arg-type]


#: The most an answer can score with 0, 1, 2, 3+ serious wrong claims (misconceptions asserted, key
#: points contradicted), linearly between: an expert grader does not pass a fluent answer that
#: states wrong things, however much else it gets right. A minor wrong claim (a misconception of
#: penalty 1, a contradicted point worth under a fifth of the rubric) counts half.
WRONG_CLAIM_CAPS = (10.0, 5.5, 3.5, 2.0)
#: A misconception costs at least this much, a contradicted point this much plus a share of its
#: weight: asserting the opposite of a point is worse than leaving it out.
MIN_MISCONCEPTION_PENALTY = 1.5
CONTRADICTION_PENALTY = (1.0, 4.0)  # base, times the point's share of the total weight


def _own_contradictions(key_points: list[KeyPointVerdict], misconceptions: list[MisconceptionHit]) -> list[KeyPointVerdict]:
    """Contradicted points whose wrong claim is not already counted as a misconception."""
    hit = {m.id for m in misconceptions}
    return [kp for kp in key_points if kp.contradicted and kp.misconception not in hit]


def wrong_claims(key_points: list[KeyPointVerdict], misconceptions: list[MisconceptionHit]) -> float:
    """Distinct wrong claims, by severity: each misconception and each other contradicted point
    counts 1, or 0.5 when minor (penalty below 2; under a fifth of the rubric's weight)."""
    total = sum(kp.weight for kp in key_points) or 1.0
    n = sum(1.0 if m.penalty >= 2 else 0.5 for m in misconceptions)
    n += sum(1.0 if kp.weight / total >= 0.2 else 0.5 for kp in _own_contradictions(key_points, misconceptions))
    return n


def wrong_claim_cap(n: float) -> float:
    """The cap for ``n`` wrong claims (see WRONG_CLAIM_CAPS), linear between whole numbers."""
    caps = WRONG_CLAIM_CAPS
    if n >= len(caps) - 1:
        return caps[-1]
    i = int(n)
    return caps[i] + (caps[i + 1] - caps[i]) * (n - i)


def compute_score(key_points: list[KeyPointVerdict], misconceptions: list[MisconceptionHit]) -> float:
    total = sum(kp.weight for kp in key_points)
    if total <= 0:
        return 0.0
    earned = sum(kp.weight * CREDIT_VALUE[kp.credit.value] for kp in key_points if not kp.contradicted)
    penalty = sum(max(m.penalty, MIN_MISCONCEPTION_PENALTY) for m in misconceptions)
    base, per = CONTRADICTION_PENALTY
    penalty += sum(base + per * kp.weight / total for kp in _own_contradictions(key_points, misconceptions))
    raw = MAX_SCORE * earned / total - penalty
    cap = wrong_claim_cap(wrong_claims(key_points, misconceptions))
    return round(min(cap, max(0.0, raw)), 2)
