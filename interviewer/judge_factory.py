"""Build a judge from a CLI spec. Stub: offline only; the LLM judge is added by its own module."""

from __future__ import annotations

import os

from interviewer.errors import UserError


def make_judge(spec: str | None = None, *, api_base=None, api_key_env=None, router_config=None, samples=1,
               use_cache=True, store=None, timeout=None, concurrency=None):
    spec = spec or os.environ.get("INTERVIEWER_JUDGE_MODEL") or "offline"
    if spec == "offline":
        from rubrics.offline import OfflineJudge

        return OfflineJudge()
    raise UserError(f"judge {spec!r} is not available yet; use --judge offline")
