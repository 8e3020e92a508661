"""Build a judge from CLI options: "offline", or any litellm model string (optionally a Router).

Everything a user can get wrong here (unknown provider, missing key variable, unreadable router
file) becomes one UserError line before the interview starts, not an ungraded session afterwards.
litellm is imported only when an LLM judge is actually requested.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from interviewer.errors import UserError

JUDGE_ENV = "INTERVIEWER_JUDGE_MODEL"
#: Providers that talk the OpenAI wire format to a user-given api_base, where a local server
#: (vLLM, llama.cpp, LM Studio) usually wants no key but the OpenAI SDK insists on one.
_KEYLESS_OK = ("openai/", "hosted_vllm/", "lm_studio/", "openai_like/", "ollama/", "ollama_chat/", "llamafile/")


def resolve_spec(spec: str | None) -> str:
    """The judge in use: the command line's, else $INTERVIEWER_JUDGE_MODEL, else the config file's."""
    from interviewer.config import load_config

    return (spec or os.environ.get(JUDGE_ENV) or load_config().judge.model or "offline").strip()


def make_judge(spec: str | None = None, *, api_base: str | None = None, api_key_env: str | None = None,
               router_config: str | Path | None = None, samples: int = 1, use_cache: bool = True, store=None,
               timeout: float | None = None, concurrency: int | None = None):
    spec = resolve_spec(spec)
    if samples < 1:
        raise UserError("--samples must be at least 1")
    if spec == "offline" and router_config is None:
        from rubrics.offline import OfflineJudge

        return OfflineJudge()
    api_key = None
    if api_key_env:
        api_key = os.environ.get(api_key_env)
        if not api_key:
            raise UserError(f"--api-key-env {api_key_env}: that environment variable is not set or empty")
    from rubrics.llm.judge import LLMJudge, MemoryCache

    router = None
    if router_config is not None:
        config = _read_router_config(Path(router_config))
        names = [str(d.get("model_name")) for d in config["model_list"] if isinstance(d, dict)]
        if spec == "offline" or spec not in names:
            if spec != "offline" and spec:
                raise UserError(f"--judge {spec!r} is not a model_name in {router_config}; use one of: {', '.join(sorted(set(names)))}")
            spec = names[0]
        from rubrics.llm.client import load_router

        try:
            router = load_router(config)
        except Exception as e:  # noqa: BLE001 - litellm raises many types for bad configs
            raise UserError(f"{router_config}: litellm could not build a router: {_one_line(e)}") from None
    else:
        if "/" not in spec:
            raise UserError(
                f"unknown judge {spec!r}; use 'offline' or a litellm model string such as "
                "'openai/gpt-4o-mini', 'anthropic/claude-3-5-haiku-latest' or 'ollama/llama3.1'"
            )
        from rubrics.llm.client import check_model

        problem = check_model(spec)
        if problem:
            raise UserError(f"litellm cannot use model {spec!r}: {problem}")
    if not api_key and api_base and router is None and spec.startswith(_KEYLESS_OK) and not os.environ.get("OPENAI_API_KEY"):
        api_key = "no-key-needed"  # a local OpenAI-compatible server; the SDK refuses an empty key
    if not api_key and router is None:
        from rubrics.llm.client import missing_keys

        missing = missing_keys(spec, api_base)
        if missing:  # found now, not as an ungraded answer after a whole interview
            raise UserError(
                f"judge {spec!r} needs {' and '.join(missing)} in the environment; set it, or pass "
                "--api-key-env NAME for a variable of your own"
            )
    kwargs: dict = {
        "api_base": api_base if router is None else None,
        "api_key": api_key,
        "router": router,
        "router_config": config if router is not None else None,
        "samples": samples,
        "cache": (store if store is not None else MemoryCache()) if use_cache else None,
        "call_log": store,
    }
    if timeout is not None:
        kwargs["timeout"] = float(timeout)
    if concurrency is not None:
        kwargs["concurrency"] = int(concurrency)
    return LLMJudge(spec, **kwargs)


def _read_router_config(path: Path) -> dict:
    """A litellm Router config: ``model_list`` (as in litellm's proxy config.yaml) and optional
    ``router_settings``; YAML or JSON."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise UserError(f"--router-config {path}: cannot read ({e.strerror or e})") from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as e:  # noqa: BLE001 - json and yaml errors both
        raise UserError(f"--router-config {path}: not valid YAML/JSON: {_one_line(e)}") from None
    if not isinstance(data, dict) or not isinstance(data.get("model_list"), list) or not data["model_list"]:
        raise UserError(f"--router-config {path}: expected a mapping with a non-empty 'model_list'")
    for i, d in enumerate(data["model_list"]):
        if not isinstance(d, dict) or "model_name" not in d or not isinstance(d.get("litellm_params"), dict):
            raise UserError(f"--router-config {path}: model_list[{i}] needs 'model_name' and 'litellm_params'")
    return data


def _one_line(e: Exception) -> str:
    text = " ".join(str(e).split()) or e.__class__.__name__
    return text[:200]
