"""Secrets the process knows, and their removal from everything we store, print or export.

Some providers and proxies echo the request's API key in an error ("invalid key sk-..."), and
litellm puts that message in the exception we log and turn into an ungraded reason; a model may
even repeat a header in its reply. So every text that comes from a provider is redacted before it
is kept anywhere: the values of the key variables in use (registered by the judge that uses them,
and any ``*_API_KEY``/``*_TOKEN``/``*_SECRET`` variable in the environment), ``Authorization``
headers and ``sk-...``-like tokens. The candidate's own answer only loses exact key values: its
wording is otherwise kept as typed.
"""

from __future__ import annotations

import os
import re
import threading

from rubrics.verdict import Verdict

REDACTED = "[REDACTED]"
#: Environment variables whose values are credentials.
_SECRET_ENV = re.compile(r"(?:^|_)(?:API_?KEY|KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)$", re.IGNORECASE)
#: Shorter values are too likely to occur in ordinary text to be replaced wherever they appear.
MIN_SECRET_CHARS = 8
_PATTERNS = [
    # Authorization: Bearer xyz / "authorization": "Bearer xyz" / x-api-key: xyz / api_key=xyz
    re.compile(r"(?i)((?:proxy-)?authorization|x-api-key|api[_-]?key|x-goog-api-key|access[_-]?token)"
               r"([\"']?\s*[:=]\s*[\"']?)(?:(?:bearer|basic|token)\s+)?[^\s\"',;}\]]{4,}"),
    re.compile(r"(?i)\b(bearer)(\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"()()\bsk-[A-Za-z0-9_*-]{8,}"),  # OpenAI, Anthropic, DeepSeek and look-alike keys
]

_lock = threading.Lock()
_registered: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a credential this process uses (an API key read from the variable the user named,
    a key in a router config) so that it is redacted wherever it shows up."""
    if value and len(value.strip()) >= MIN_SECRET_CHARS:
        with _lock:
            _registered.add(value.strip())


def known_secrets() -> list[str]:
    """Registered secrets and the values of credential variables in the environment, longest first."""
    env = {v.strip() for k, v in os.environ.items() if _SECRET_ENV.search(k) and len(v.strip()) >= MIN_SECRET_CHARS}
    with _lock:
        values = _registered | env
    return sorted(values, key=len, reverse=True)


def redact_values(text: str, secrets: list[str] | None = None) -> str:
    """``text`` without the exact values of known secrets (for the candidate's own words);
    ``secrets`` saves looking them up again when redacting many texts at once."""
    if not text:
        return text
    for secret in known_secrets() if secrets is None else secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def redact(text: str, secrets: list[str] | None = None) -> str:
    """``text`` without known secret values, Authorization headers and key-like tokens."""
    if not text:
        return text
    text = redact_values(text, secrets)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    return text


def redact_verdict(v: Verdict) -> Verdict:
    """``v`` with every provider-written text redacted (evidence quotes the answer, so it only
    loses exact secret values, like the answer itself); ``v`` itself when nothing changes."""
    secrets = known_secrets()

    def full(text: str | None) -> str | None:
        return redact(text, secrets) if text else text

    def values(text: str | None) -> str | None:
        return redact_values(text, secrets) if text else text

    update = {
        "reason": full(v.reason),
        "feedback": full(v.feedback),
        "key_points": [kp.model_copy(update={"rationale": full(kp.rationale), "evidence": values(kp.evidence)})
                       for kp in v.key_points],
        "misconceptions": [m.model_copy(update={"evidence": values(m.evidence)}) for m in v.misconceptions],
        "flags": [f.model_copy(update={"detail": full(f.detail)}) for f in v.flags],
    }
    same = (update["reason"] == v.reason and update["feedback"] == v.feedback
            and all(a.rationale == b.rationale and a.evidence == b.evidence for a, b in zip(update["key_points"], v.key_points))
            and all(a.evidence == b.evidence for a, b in zip(update["misconceptions"], v.misconceptions))
            and all(a.detail == b.detail for a, b in zip(update["flags"], v.flags)))
    return v if same else v.model_copy(update=update)
