"""The only door to litellm: a lazy, quiet import and the few helpers we need from it.

litellm is heavy (seconds to import), fetches a price map from the network at import unless told
not to, loads a ``.env`` from wherever it finds one, and prints help banners to stdout on errors.
None of that is acceptable for a CLI whose ``--help`` and offline judge must stay instant and
whose stdout may carry ``--json``; so every use goes through ``get_litellm()`` here.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import threading
from types import ModuleType
from typing import Any

_lock = threading.Lock()
_litellm: ModuleType | None = None


def get_litellm() -> ModuleType:
    """Import and configure litellm once (thread-safe)."""
    global _litellm
    if _litellm is not None:
        return _litellm
    with _lock:
        if _litellm is None:
            _litellm = _import_quietly()
    return _litellm


def _import_quietly() -> ModuleType:
    # Price map from the bundled copy: no network call at import.
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    # litellm 1.110.2 calls dotenv.load_dotenv() at import when LITELLM_MODE is "DEV" (the default),
    # which would pull secrets from a .env near the cwd into our process. Import in PRODUCTION
    # mode, then put the user's value back so nothing else observes the change.
    previous_mode = os.environ.get("LITELLM_MODE")
    os.environ["LITELLM_MODE"] = "PRODUCTION"
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            import litellm  # noqa: PLC0415 - the whole point of this module is a lazy import
    finally:
        if previous_mode is None:
            os.environ.pop("LITELLM_MODE", None)
        else:
            os.environ["LITELLM_MODE"] = previous_mode
    litellm.suppress_debug_info = True
    litellm.set_verbose = False
    litellm.telemetry = False
    # Retries are ours (with backoff and logging); litellm's and the SDKs' would multiply them.
    litellm.num_retries = 0
    for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.CRITICAL)
        logger.propagate = False
    return litellm


_unpriced: set[str] = set()


def response_cost(response: Any, model: str) -> float | None:
    """Cost in USD, or None when litellm has no price for the model (it raises for those).

    litellm has usually priced the response already (``_hidden_params``); asking again for a
    model it could not price costs ~1 ms of CPU per call, so such models are remembered.
    (Registering such a model with litellm as unpriced, to end litellm's own per-call search of its
    price map, was tried: no gain measurable above noise with benchmarks/llm_judge_throughput.py.)"""
    hidden = getattr(response, "_hidden_params", None) or {}
    cost = hidden.get("response_cost") if isinstance(hidden, dict) else getattr(hidden, "response_cost", None)
    if cost is not None:
        try:
            return float(cost)
        except (TypeError, ValueError):
            return None
    if model in _unpriced:
        return None
    try:
        cost = get_litellm().completion_cost(completion_response=response)
    except Exception:  # noqa: BLE001 - unknown models raise; a price is never worth a crash
        cost = None
    if cost is None:
        _unpriced.add(model)
        return None
    return float(cost)


def supports_json_schema(model: str) -> bool:
    """Whether the provider takes ``response_format`` with a JSON schema (False when unsure)."""
    litellm = get_litellm()
    try:
        return bool(litellm.supports_response_schema(model=model))
    except Exception:  # noqa: BLE001
        return False


def check_model(model: str) -> str | None:
    """Why litellm cannot route ``model`` (a one-line message), or None when it can."""
    litellm = get_litellm()
    try:
        litellm.get_llm_provider(model=model)
    except Exception as e:  # noqa: BLE001
        first = str(e).strip().splitlines()[0] if str(e).strip() else e.__class__.__name__
        return first[:200]
    return None


def missing_keys(model: str, api_base: str | None = None) -> list[str]:
    """Environment variables holding credentials that ``model`` needs and that are unset (base-URL
    variables such as OLLAMA_API_BASE have defaults and are not reported)."""
    litellm = get_litellm()
    try:
        env = litellm.validate_environment(model=model, api_base=api_base)
    except Exception:  # noqa: BLE001 - unknown to litellm's checker: let the first call tell
        return []
    return [k for k in env.get("missing_keys") or [] if k.endswith(("_KEY", "_TOKEN", "_SECRET"))]


def chat(judge: Any, messages: list[dict], *, max_tokens: int, timeout: float, **extra: Any) -> Any:
    """One plain chat request to an LLM judge's model or router, outside grading (the preflight,
    phrasing a follow-up): no retries, the judge's endpoint and key."""
    params: dict[str, Any] = {"model": judge.model, "messages": messages, "max_tokens": max_tokens,
                              "max_retries": 0, "timeout": timeout, **extra}
    if judge.router is not None:
        return judge.router.completion(**params)
    if judge.api_base:
        params["api_base"] = judge.api_base
    if judge.api_key:
        params["api_key"] = judge.api_key
    return get_litellm().completion(**params)


def load_router(config: dict) -> Any:
    """A litellm Router from a config mapping (``model_list`` plus optional ``router_settings``)."""
    litellm = get_litellm()
    settings = dict(config.get("router_settings") or {})
    for key in ("fallbacks", "context_window_fallbacks", "routing_strategy", "timeout", "num_retries"):
        if key in config and key not in settings:
            settings[key] = config[key]
    settings.setdefault("num_retries", 0)  # our retry loop already backs off
    return litellm.Router(model_list=config["model_list"], **settings)
