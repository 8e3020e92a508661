"""A provider that echoes the caller's API key (in an error, or in its reply) must not get it
written anywhere: not in the database, the reports, the exports, nor in anything printed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from rubrics.secrets import REDACTED, redact, redact_values, register_secret
from tests.hostile import OTHER_KEY as OTHER
from tests.hostile import SECRET, echo_key_error as echo_error, echo_key_feedback as echo_feedback
from tests.test_cli_judging import EXAMPLE, GOOD, QID, no_traceback, run
from tests.test_kill_recovery import two_answers

def test_redaction_rules():
    register_secret("my-registered-secret-value")
    assert redact("x my-registered-secret-value y") == f"x {REDACTED} y"
    assert redact("Authorization: Bearer abc.def-123456") == f"Authorization: {REDACTED}"
    assert redact('{"authorization": "Bearer abcdefgh12345678"}') == f'{{"authorization": "{REDACTED}"}}'
    assert redact(f"key {OTHER}.") == f"key {REDACTED}."
    assert redact("sk-learn and the sk- prefix") == "sk-learn and the sk- prefix"  # prose is left alone
    assert redact_values(f"answer with {OTHER}") == f"answer with {OTHER}"  # the candidate's words: values only
    assert redact_values("my-registered-secret-value") == REDACTED


def files_holding(root: Path, needles: list[str]) -> list[str]:
    found = []
    for p in root.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            found += [f"{p.name}: {n}" for n in needles if n.encode() in data]
    return found


def test_a_key_echoing_provider_leaves_no_secret_on_disk_or_screen(llm_server, tmp_path):
    env = {"MY_JUDGE_KEY": SECRET}
    judge = ("--judge", "openai/test-model", "--api-base", llm_server.base_url, "--api-key-env", "MY_JUDGE_KEY")
    answers = two_answers(tmp_path)
    data = tmp_path / "data"
    outputs = []

    llm_server.set_default(echo_error)
    started = run("start", "--count", "2", "--seed", "3", "--bank", EXAMPLE, "--answers", str(answers), *judge,
                  data_dir=data, env=env)
    outputs.append(started)
    assert started.returncode == 3, started.stderr  # nothing could be graded: exit 3, answers kept
    assert any(SECRET in str(r.headers) for r in llm_server.requests), [r.headers for r in llm_server.requests][:1]
    (answer_file := tmp_path / "a.txt").write_text(GOOD, encoding="utf-8")
    graded = run("grade", "-q", QID, "-a", str(answer_file), "--bank", EXAMPLE, *judge, "--no-cache", data_dir=data, env=env)
    outputs.append(graded)
    assert graded.returncode == 3 and "ungraded" in graded.stdout and REDACTED in graded.stdout

    llm_server.set_default(echo_feedback)  # a reply that repeats the header and another key
    regraded = run("regrade", "latest", *judge, "--json", data_dir=data, env=env)
    outputs.append(regraded)
    assert regraded.returncode == 0, regraded.stderr
    outputs.append(run("report", "latest", "--format", "md", "-o", "-", data_dir=data, env=env))
    outputs.append(run("report", "latest", "--format", "html", data_dir=data, env=env))
    for fmt in ("csv", "json"):
        outputs.append(run("export", "--format", fmt, "-o", str(data / "exports" / f"all.{fmt}"), data_dir=data, env=env))
    outputs.append(run("export", "--format", "json", "-o", "-", data_dir=data, env=env))
    for p in outputs:
        no_traceback(p)

    leaks = files_holding(data, [SECRET, OTHER])
    assert not leaks, leaks
    with sqlite3.connect(data / "interviewer.db") as conn:  # a value split over overflow pages, too
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        stored = [v for t in tables for row in conn.execute(f"SELECT * FROM {t}") for v in row if isinstance(v, str)]
    assert not [v for v in stored if SECRET in v or OTHER in v]
    for p in outputs:
        assert SECRET not in p.stdout + p.stderr and OTHER not in p.stdout + p.stderr
    md = outputs[3].stdout
    assert "REDACTED" in md  # the echo did happen, and was caught (escaped as Markdown text)
