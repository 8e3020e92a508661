"""The user's config file: judge defaults set once instead of on every command.

``config.toml`` in the user config dir (or the file named by ``INTERVIEWER_CONFIG``)::

    [judge]
    model = "openai/gpt-4o-mini"          # any litellm model string, or "offline"
    api_base = "http://127.0.0.1:8000/v1" # optional
    api_key_env = "MY_JUDGE_KEY"          # the env var that holds the key (never the key itself)
    router_config = "~/judges.yaml"       # optional litellm Router config
    samples = 1
    timeout = 60
    concurrency = 8

    [interview]
    follow_ups = 1                        # follow-ups after each main answer (0: none)
    phrase_follow_ups = true              # an LLM judge may word them after your answer

Precedence: command-line options, then ``INTERVIEWER_JUDGE_MODEL``, then this file, then the
offline judge. Endpoint settings from the file apply only when the judge in use is its ``model``.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from interviewer.errors import UserError

CONFIG_ENV = "INTERVIEWER_CONFIG"


class JudgeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str | None = None
    api_base: str | None = None
    api_key_env: str | None = None
    router_config: Path | None = None
    samples: int | None = Field(default=None, ge=1, le=9)
    timeout: float | None = Field(default=None, gt=0)
    concurrency: int | None = Field(default=None, ge=1, le=256)


#: Follow-ups per question unless --follow-ups or the config file say otherwise.
DEFAULT_FOLLOW_UPS = 1
MAX_FOLLOW_UPS = 4


class InterviewConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    follow_ups: int | None = Field(default=None, ge=0, le=MAX_FOLLOW_UPS)
    phrase_follow_ups: bool = True


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    judge: JudgeConfig = Field(default_factory=JudgeConfig)
    interview: InterviewConfig = Field(default_factory=InterviewConfig)


def config_path() -> Path:
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("mock-interview-grader", appauthor=False)) / "config.toml"


@functools.lru_cache(maxsize=None)
def _load(path: Path) -> Config:
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Config()
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"cannot read config {path}: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise UserError(f"{path}: invalid TOML: {e}") from None
    try:
        cfg = Config.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise UserError(f"{path}: {where}: {err['msg']}") from None
    if cfg.judge.router_config is not None:
        cfg.judge.router_config = cfg.judge.router_config.expanduser()
    return cfg


def load_config() -> Config:
    return _load(config_path())


def follow_ups_setting(given: int | None) -> int:
    """Follow-ups per question: the command line's, else the config file's, else the default."""
    if given is not None:
        return given
    saved = load_config().interview.follow_ups
    return DEFAULT_FOLLOW_UPS if saved is None else saved


def save_judge_config(model: str, api_base: str | None = None, api_key_env: str | None = None) -> Path:
    """Make ``model`` the configured judge (``interviewer setup``). The judge's other settings
    (samples, timeout, concurrency) are kept, its endpoint replaced; an existing file is first
    copied to ``config.toml.bak``. Only a key's variable *name* is ever written."""
    import json
    import shutil

    path = config_path()
    saved = _load(path)
    current = saved.judge.model_dump(exclude_none=True)
    for k in ("model", "api_base", "api_key_env", "router_config"):
        current.pop(k, None)
    judge = {"model": model, "api_base": api_base, "api_key_env": api_key_env, **current}
    JudgeConfig.model_validate(judge)
    lines = ["# Written by `interviewer setup`; command-line options and INTERVIEWER_JUDGE_MODEL still win."]
    interview = saved.interview.model_dump(exclude_defaults=True)  # kept as it was
    for section, values in (("judge", judge), ("interview", interview)):
        if not values:
            continue
        lines.append(f"[{section}]")
        for key, value in values.items():
            if value is None:
                continue
            text = str(value).lower() if isinstance(value, bool) else (
                str(value) if isinstance(value, (int, float)) else json.dumps(str(value), ensure_ascii=False))
            lines.append(f"{key} = {text}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            shutil.copy2(path, path.with_name(path.name + ".bak"))
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        tmp.replace(path)
    except OSError as e:
        raise UserError(f"cannot write config {path}: {e.strerror or e}; set INTERVIEWER_CONFIG to another file") from None
    _load.cache_clear()
    return path
