"""An LLM words a follow-up after the candidate's own answer, or the bank's wording stands.

The follow-up itself is chosen offline from the bank's ladder and graded against that ladder item's
rubric; the model only rewords it so that it picks up what the candidate said. Its prompt
(``prompts/follow_up_v1.j2``) treats the answer as data inside delimiters it cannot forge, as the
grading prompt does. The candidate is waiting, so the request is short-lived: one attempt, a few
seconds, and on any failure (an error, a timeout, a reply that is not one plausible question)
``phrase_follow_up`` returns None and the interview asks the bank's wording.
"""

from __future__ import annotations

import re
import time
from typing import Any

from question_bank.models import FollowUp, Question
from rubrics.judge import LLMCall
from rubrics.llm.prompt import _env, answer_nonce, neutralize

FOLLOW_UP_PROMPT_VERSION = "follow_up_v1"
#: Seconds the candidate may wait for the model's wording before the bank's is asked instead.
FOLLOW_UP_TIMEOUT = 6.0
#: The answer is context for the wording only: its start is enough.
MAX_ANSWER_CHARS = 4000
MAX_QUESTION_CHARS = 600
_LANGUAGE = {"en": "English", "zh": "Simplified Chinese"}
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_FORGED = re.compile(r"candidate_answer|<\|[^|>]{0,40}\|>|```", re.IGNORECASE)


def build_follow_up_messages(question: Question, follow_up: FollowUp, answer: str, lang: str) -> list[dict]:
    """System and user messages asking for the follow-up worded after ``answer``."""
    answer = answer[:MAX_ANSWER_CHARS]
    module = _env().get_template(f"{FOLLOW_UP_PROMPT_VERSION}.j2").make_module({
        "language": _LANGUAGE.get(lang, "English"),
        "question": question.text.get(lang),
        "follow_up": follow_up.text.get(lang),
        "answer": neutralize(answer),
        "nonce": answer_nonce(answer),
    })
    return [
        {"role": "system", "content": str(module.system).strip()},  # type: ignore[attr-defined]
        {"role": "user", "content": str(module.user).strip()},  # type: ignore[attr-defined]
    ]


def parse_follow_up(text: str | None, lang: str, nonce: str) -> str | None:
    """The question in the reply, or None when the reply is not one plausible question."""
    from rubrics.llm.output import _extract_object  # the judge's own tolerant JSON reader

    obj, truncated = _extract_object(text or "")
    if obj is None or truncated or not isinstance(obj.get("question"), str):
        return None
    question = " ".join(obj["question"].split())
    if not question or len(question) > MAX_QUESTION_CHARS or nonce in question or _FORGED.search(question):
        return None
    if (lang == "zh") != bool(_CJK.search(question)):  # in the session's language
        return None
    return question


def phrase_follow_up(judge: Any, question: Question, follow_up: FollowUp, answer: str, lang: str,
                     timeout: float = FOLLOW_UP_TIMEOUT) -> str | None:
    """``follow_up`` worded after ``answer`` by ``judge``'s model (an ``LLMJudge``), or None.
    Logged in the judge's call log with purpose "follow_up"."""
    from rubrics.llm.client import chat, response_cost
    from rubrics.llm.errors import describe_error

    messages = build_follow_up_messages(question, follow_up, answer, lang)
    started = time.perf_counter()
    call = LLMCall(model=judge.model, question_id=f"{question.id}~{follow_up.id}", purpose="follow_up")
    try:
        resp = chat(judge, messages, max_tokens=300, timeout=min(float(judge.timeout), timeout),
                    temperature=0.0, drop_params=True, **({"seed": judge.seed} if judge.seed is not None else {}))
        text = resp.choices[0].message.content
        usage = getattr(resp, "usage", None)
        call.prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        call.completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        call.cost_usd = response_cost(resp, judge.model)
    except Exception as e:  # noqa: BLE001 - any failure: the bank's wording is asked
        call.status, call.error, text = "error", describe_error(e)[:500], None
    phrased = parse_follow_up(text, lang, answer_nonce(answer[:MAX_ANSWER_CHARS])) if text is not None else None
    if text is not None and phrased is None:
        call.status, call.error = "invalid", "the reply was not one follow-up question"
    call.duration_ms = (time.perf_counter() - started) * 1000
    judge._log(call)  # never raises: a lost log row must not cost the follow-up
    return phrased
