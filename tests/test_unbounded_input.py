"""Input that would otherwise take unbounded memory or disk: a model reply of 30 MiB, a YAML alias
bomb, a bank that fails validation (never cached), an absurdly long scripted answer."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from question_bank.loader import BankError, load_file
from tests.hostile import alias_bomb, peak_rss_mib
from tests.llm_server import Reply, verdict_for
from tests.test_cli_e2e import answers_file, one_line_error
from tests.test_cli_e2e import run as run_e2e
from tests.test_cli_judging import EXAMPLE, run
from tests.test_kill_recovery import two_answers

MIB = 1024 * 1024


@pytest.mark.timeout(120)
def test_a_30_mib_model_reply_is_neither_stored_nor_reported_whole(llm_server, tmp_path):
    huge = "x" * (30 * MIB)

    def flood(body: dict) -> Reply:
        return Reply.json(verdict_for(body, "full", holistic=9, feedback="Fine. " + huge))

    llm_server.set_default(flood)
    answers = two_answers(tmp_path)
    data = tmp_path / "data"
    proc = run("start", "--count", "2", "--seed", "3", "--bank", EXAMPLE, "--answers", str(answers), "--judge",
               "openai/test-model", "--api-base", llm_server.base_url, data_dir=data)
    assert proc.returncode == 0, proc.stderr[-2000:]
    stored = sum(p.stat().st_size for p in data.iterdir() if p.name.startswith("interviewer.db"))
    assert stored < 2 * MIB, stored
    reports = list((data / "reports").iterdir())
    assert len(reports) == 3 and all(p.stat().st_size < MIB for p in reports)
    report = json.loads(next(p for p in reports if p.suffix == ".json").read_text(encoding="utf-8"))
    assert all(q["status"] == "graded" and len(q["feedback"]) <= 4000 for q in report["questions"])


@pytest.mark.timeout(120)
def test_a_yaml_alias_bomb_is_refused_in_bounded_memory_and_never_cached(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(alias_bomb(), encoding="utf-8")
    assert bomb.stat().st_size < 400  # 9**9 = 387,420,489 values
    cache = tmp_path / "cache"
    env = {**os.environ, "INTERVIEWER_BANK": "", "INTERVIEWER_CACHE_DIR": str(cache)}
    code, err, rss = peak_rss_mib([sys.executable, "-m", "interviewer", "bank", "validate", str(bomb)], env)
    assert code == 1 and "Traceback" not in err
    assert err.strip().startswith("error: ") and "aliases" in err and len(err.strip().splitlines()) == 1
    assert rss < 150, f"peak RSS {rss:.0f} MiB"
    assert not any(p.is_file() for p in cache.rglob("*"))


def test_recursive_aliases_and_deep_nesting_are_refused(tmp_path):
    loop = tmp_path / "loop.yaml"
    loop.write_text("questions: &q [*q]\n", encoding="utf-8")
    with pytest.raises(BankError, match="refers to the value that contains it"):
        load_file(loop)
    deep = tmp_path / "deep.yaml"
    deep.write_text("questions: " + "[" * 150 + "]" * 150 + "\n", encoding="utf-8")
    with pytest.raises(BankError, match="nested more than"):
        load_file(deep)


def test_a_bank_that_fails_validation_is_not_cached(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("INTERVIEWER_CACHE_DIR", str(cache))
    bad = tmp_path / "bad.yaml"
    bad.write_text("topic: mine\nquestions:\n  - id: q1\n    difficulty: impossible\n    text: {en: q}\n"
                   "    reference_answer: {en: a}\n", encoding="utf-8")
    with pytest.raises(BankError, match="difficulty"):
        load_file(bad)
    assert not any(p.is_file() for p in cache.rglob("*"))
    good = Path(EXAMPLE)
    load_file(good)
    assert len([p for p in cache.rglob("*.json")]) == 1  # a valid file still is


def test_an_absurdly_long_scripted_answer_is_one_clear_line(tmp_path):
    ans = answers_file(tmp_path, [{"answer": "x" * 4_100_000}])
    line = one_line_error(run_e2e("start", "--count", "1", "--answers", str(ans), data_dir=tmp_path / "d"))
    assert ":1: line of 4,100,014 characters" in line
