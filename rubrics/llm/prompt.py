"""Prompt templates: loading, versioning and building the messages for one grading request.

The wording lives in ``rubrics/llm/prompts/*.j2`` so it can be reviewed and versioned like data; the
version string travels into every verdict and into the cache key (with a hash of the template
text, so an edit without a version bump still never reuses stale verdicts).
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from question_bank.models import Question, Rubric

PROMPT_VERSION = "grade_v1"
REPAIR_VERSION = "repair_v1"
PROMPT_DIR = Path(__file__).parent / "prompts"

# Anything in the answer that could pass for our delimiter, a chat-template token or a role turn:
# with or without its closing '>' (a model reads '</candidate_answer id="…"' followed by a new line
# as the end of the block all the same).
_TAGLIKE = re.compile(
    r"<\s*/?\s*(?:candidate[_ -]?answer|answer|system|user|assistant|developer|rubric|reference|instructions?|grader|verdict)\b(?:[^<>\n]{0,200}>)?"
    r"|<\|[^|>]{0,40}\|>|\[/?(?:INST|SYS)\]|<</?SYS>>",
    re.IGNORECASE,
)
# A line of the answer that copies one of the prompt's own section headers (grade_v1.j2).
_HEADER = re.compile(
    r"(?m)^[ \t]*#{1,6}(?=[ \t]*(?:question|reference answer|rubric|misconceptions|candidate answer)\b)", re.IGNORECASE
)


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(PROMPT_DIR)),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
    )


@lru_cache(maxsize=4)
def template_fingerprint(version: str = PROMPT_VERSION) -> str:
    """Short hash of the grading and repair templates, part of the cache key."""
    h = hashlib.sha256()
    for name in (f"{version}.j2", f"{REPAIR_VERSION}.j2"):
        h.update((PROMPT_DIR / name).read_bytes())
    return h.hexdigest()[:12]


def neutralize(answer: str) -> str:
    """Defang delimiter-like text so the answer cannot close its own block, fake a turn or start a
    section of the prompt. Found as a reader sees the text (full-width brackets, zero-width
    characters inside a tag), so such disguises are defanged too; the rest stays as typed."""
    from rubrics.manipulation import clean_view

    view, offsets = clean_view(answer)
    spans = sorted([m.span() for m in _TAGLIKE.finditer(view)] + [m.span() for m in _HEADER.finditer(view)])
    if not spans:
        return answer
    out, pos = [], 0
    for s, e in spans:
        start, end = offsets[s], offsets[max(s, e - 1)] + 1
        if start < pos:
            continue
        out.append(answer[pos:start])
        out.append(view[s:e].replace("<", "‹").replace(">", "›").replace("[", "⟦").replace("]", "⟧").replace("#", "♯"))
        pos = end
    out.append(answer[pos:])
    return "".join(out)


def answer_nonce(answer: str) -> str:
    """A delimiter id derived from the answer: deterministic (cacheable, seed-repeatable) yet not
    writable into the answer itself, since writing it changes it."""
    return hashlib.sha256(answer.encode("utf-8")).hexdigest()[:16]


def build_messages(question: Question, rubric: Rubric, answer: str, version: str = PROMPT_VERSION) -> list[dict]:
    """System and user messages for one grading request."""
    safe = neutralize(answer)
    module = _env().get_template(f"{version}.j2").make_module(
        {
            "question_en": question.text.en,
            "question_zh": question.text.zh if question.text.zh != question.text.en else None,
            "reference_en": question.reference_answer.en,
            "reference_zh": question.reference_answer.zh
            if question.reference_answer.zh != question.reference_answer.en
            else None,
            "key_points": [
                {"id": kp.id, "weight": _fmt_num(kp.weight), "text_en": kp.text.en, "text_zh": kp.text.zh}
                for kp in rubric.key_points
            ],
            "misconceptions": [
                {"id": m.id, "text_en": m.text.en, "text_zh": m.text.zh} for m in rubric.misconceptions
            ],
            "answer": safe,
            "nonce": answer_nonce(answer),
        }
    )
    return [
        {"role": "system", "content": str(module.system).strip()},  # type: ignore[attr-defined]
        {"role": "user", "content": str(module.user).strip()},  # type: ignore[attr-defined]
    ]


def repair_message(error: str, point_ids: list[str], truncated: bool) -> dict:
    text = _env().get_template(f"{REPAIR_VERSION}.j2").render(error=error, point_ids=point_ids, truncated=truncated)
    return {"role": "user", "content": text.strip()}


def _fmt_num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"
