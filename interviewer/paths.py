"""Where the interviewer keeps its files. The data dir holds the history database, reports and
exports; when the user chooses it (``--data-dir`` or ``$INTERVIEWER_DATA_DIR``) it holds the
parsed-bank cache too, so one folder holds everything. An empty variable counts as unset, with a
warning, rather than silently falling back to the real user dir."""

from __future__ import annotations

import os
from pathlib import Path

from interviewer.notices import warn

DATA_ENV = "INTERVIEWER_DATA_DIR"


def env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    if value is None:
        return None
    if not value.strip():
        warn(f"{name} is set but empty; ignoring it")
        return None
    return Path(value).expanduser()


def data_dir(opt: Path | None = None) -> Path:
    """``--data-dir``, else ``$INTERVIEWER_DATA_DIR``, else the user data dir."""
    from question_bank.loader import CACHE_ENV, use_cache_dir

    env_path(CACHE_ENV)  # only to warn when it is set but empty
    chosen = opt.expanduser() if opt else env_path(DATA_ENV)
    if chosen is None:
        import platformdirs

        return Path(platformdirs.user_data_dir("mock-interview-grader", appauthor=False))
    use_cache_dir(chosen / "cache")
    return chosen
