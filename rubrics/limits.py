"""How much text we take from a judge and keep: a provider that replies with 30 MiB (a bug, a
proxy's error page, a hostile endpoint) must not fill the database and every report with it."""

from __future__ import annotations

from rubrics.verdict import Verdict

#: Characters of a model reply that are read at all; a verdict is a few kB of JSON.
MAX_REPLY_CHARS = 256 * 1024
#: Characters kept of the feedback, and of each rationale, evidence quote, reason or flag detail.
MAX_FEEDBACK_CHARS = 4000
MAX_NOTE_CHARS = 1000


def clip(text: str | None, limit: int) -> str | None:
    """``text`` cut to ``limit`` characters, saying so."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 20] + " […truncated]"


def bounded_verdict(v: Verdict) -> Verdict:
    """``v`` with every text within the limits above (a copy when anything was cut)."""
    too_long = (
        len(v.feedback) > MAX_FEEDBACK_CHARS
        or len(v.reason or "") > MAX_NOTE_CHARS
        or any(len(k.rationale or "") > MAX_NOTE_CHARS or len(k.evidence or "") > MAX_NOTE_CHARS for k in v.key_points)
        or any(len(m.evidence or "") > MAX_NOTE_CHARS for m in v.misconceptions)
        or any(len(f.detail) > MAX_NOTE_CHARS for f in v.flags)
    )
    if not too_long:
        return v
    return v.model_copy(update={
        "feedback": clip(v.feedback, MAX_FEEDBACK_CHARS),
        "reason": clip(v.reason, MAX_NOTE_CHARS),
        "key_points": [k.model_copy(update={"rationale": clip(k.rationale, MAX_NOTE_CHARS),
                                            "evidence": clip(k.evidence, MAX_NOTE_CHARS)}) for k in v.key_points],
        "misconceptions": [m.model_copy(update={"evidence": clip(m.evidence, MAX_NOTE_CHARS)}) for m in v.misconceptions],
        "flags": [f.model_copy(update={"detail": clip(f.detail, MAX_NOTE_CHARS)}) for f in v.flags],
    })
