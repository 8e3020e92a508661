"""Warnings for the user: one line on stderr each, said once per process however often the
condition is met (a corrupted row is read by every query that touches it)."""

from __future__ import annotations

import sys

_said: set[str] = set()


def warn(message: str) -> None:
    if message in _said:
        return
    _said.add(message)
    sys.stderr.write(f"warning: {message}\n")
    sys.stderr.flush()


def one_line(e: BaseException, limit: int = 160) -> str:
    """An exception as a short single line (pydantic's messages span several)."""
    errors = getattr(e, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "value"
            return f"{where}: {first.get('msg', '')}"[:limit]
        except Exception:  # noqa: BLE001, S110 - fall back to the plain text
            pass
    text = " ".join(str(e).split()) or e.__class__.__name__
    return text[:limit]
