"""The data dir the user chooses holds everything the interviewer writes, the bank cache included,
and an empty INTERVIEWER_DATA_DIR is ignored with a warning instead of silently meaning the real
user dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def run(*args: str, home: Path, **env: str):
    full = {k: v for k, v in os.environ.items() if not k.startswith("INTERVIEWER_")}
    full.update({"HOME": str(home), "XDG_CACHE_HOME": str(home / "cache"), "XDG_DATA_HOME": str(home / "data"),
                 "XDG_CONFIG_HOME": str(home / "config"), "INTERVIEWER_BANK": "", **env})
    return subprocess.run([sys.executable, "-m", "interviewer", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=full, stdin=subprocess.DEVNULL)


def files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()] if path.exists() else []


def test_a_chosen_data_dir_holds_the_bank_cache_too(tmp_path):
    home, mine = tmp_path / "home", tmp_path / "mine"
    answers = tmp_path / "a.jsonl"
    answers.write_text(json.dumps({"answer": "softmax of scaled dot products"}) + "\n")
    proc = run("start", "--count", "1", "--answers", str(answers), "--data-dir", str(mine), home=home)
    assert proc.returncode == 0, proc.stderr
    assert files_under(mine / "cache" / "bank")
    assert (mine / "interviewer.db").is_file() and files_under(mine / "reports")
    assert files_under(home) == []  # nothing outside the chosen dir
    proc = run("bank", "stats", "--json", home=home, INTERVIEWER_DATA_DIR=str(tmp_path / "env"))
    assert proc.returncode == 0 and files_under(tmp_path / "env" / "cache" / "bank")
    assert files_under(home) == []


def test_an_empty_data_dir_variable_is_ignored_with_a_warning(tmp_path):
    home = tmp_path / "home"
    proc = run("history", home=home, INTERVIEWER_DATA_DIR="", INTERVIEWER_CACHE_DIR=" ")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == ["warning: INTERVIEWER_CACHE_DIR is set but empty; ignoring it",
                                        "warning: INTERVIEWER_DATA_DIR is set but empty; ignoring it"]
    assert (home / "data" / "mock-interview-grader" / "interviewer.db").is_file()  # the default, said so
