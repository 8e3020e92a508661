"""What judges this machine can reach, for ``interviewer setup``: provider API keys present in the
environment (by name only: a key's value is never read into a message, a log or a file), an
Ollama server and its models, and OpenAI-compatible servers (vLLM, llama.cpp, LM Studio, ...) on
the usual local ports. Every probe is a GET with a short timeout, made in parallel, never through a
proxy (a local address must not leave the machine)."""

from __future__ import annotations

import json
import os
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

#: Provider key variables and a small, cheap model to grade with for each.
PROVIDER_KEYS: dict[str, str] = {
    "OPENAI_API_KEY": "openai/gpt-4o-mini",
    "ANTHROPIC_API_KEY": "anthropic/claude-3-5-haiku-latest",
    "DEEPSEEK_API_KEY": "deepseek/deepseek-chat",
    "GEMINI_API_KEY": "gemini/gemini-2.0-flash",
    "MISTRAL_API_KEY": "mistral/mistral-small-latest",
    "GROQ_API_KEY": "groq/llama-3.1-8b-instant",
    "OPENROUTER_API_KEY": "openrouter/openai/gpt-4o-mini",
    "DASHSCOPE_API_KEY": "dashscope/qwen-turbo",
    "TOGETHERAI_API_KEY": "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo",
    "XAI_API_KEY": "xai/grok-3-mini",
}
OLLAMA_URL = "http://127.0.0.1:11434"
#: vLLM and text-generation-webui's API (8000, 5000), llama.cpp server (8080), LM Studio (1234).
LOCAL_SERVERS = tuple(f"http://127.0.0.1:{port}/v1" for port in (8000, 8080, 1234, 5000))
TIMEOUT = 0.5  # seconds per probe
MAX_MODELS = 8  # listed per server


@dataclass(frozen=True)
class Candidate:
    model: str  # a litellm model string
    api_base: str | None
    api_key_env: str | None  # the NAME of the variable holding the key
    source: str  # where it was found, for people


def _get_json(url: str) -> object | None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(urllib.request.Request(url, headers={"Accept": "application/json"}), timeout=TIMEOUT) as resp:
            return json.loads(resp.read(1_000_000))
    except (OSError, ValueError):  # refused, timed out, not HTTP, not JSON
        return None


def _chat_models(names: list[str]) -> list[str]:
    """Model names minus the embedding models a server also lists."""
    return [n for n in names if n and "embed" not in n.lower()][:MAX_MODELS]


def ollama_candidates(base: str = OLLAMA_URL) -> list[Candidate]:
    data = _get_json(base.rstrip("/") + "/api/tags")
    models = data.get("models") if isinstance(data, dict) else None
    if not isinstance(models, list):
        return []
    names = _chat_models([str(m.get("name") or m.get("model") or "") for m in models if isinstance(m, dict)])
    return [Candidate(f"ollama_chat/{n}", base.rstrip("/"), None, f"Ollama at {base}") for n in names]


def openai_server_candidates(base: str) -> list[Candidate]:
    """Models of an OpenAI-compatible server; ``base`` ends in /v1."""
    data = _get_json(base.rstrip("/") + "/models")
    models = data.get("data") if isinstance(data, dict) else None
    if not isinstance(models, list):
        return []
    names = _chat_models([str(m.get("id") or "") for m in models if isinstance(m, dict)])
    return [Candidate(f"openai/{n}", base.rstrip("/"), None, f"OpenAI-compatible server at {base}") for n in names]


def key_candidates(environ: dict[str, str] | None = None) -> list[Candidate]:
    env = os.environ if environ is None else environ
    return [Candidate(model, None, name, f"{name} is set") for name, model in PROVIDER_KEYS.items() if env.get(name, "").strip()]


def detect(servers: list[str] | None = None, ollama: str = OLLAMA_URL) -> list[Candidate]:
    """Local servers first (free, and answers stay on the machine), then provider keys."""
    bases = list(servers) if servers is not None else list(LOCAL_SERVERS)
    with ThreadPoolExecutor(max_workers=len(bases) + 1) as pool:
        found = [pool.submit(openai_server_candidates, b) for b in bases] + [pool.submit(ollama_candidates, ollama)]
        local = [c for f in found for c in f.result()]
    return local + key_candidates()
