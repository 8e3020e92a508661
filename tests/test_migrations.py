"""Migrations are atomic, resumable and serialised: real processes killed with SIGKILL at every
statement of a first open and of an upgrade, commands opening a fresh data dir at the same moment,
and a database written by a newer version, which is refused before anything is written."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from interviewer.migrations import MIGRATIONS, statements
from interviewer.store import DB_NAME, Store
from tests.test_cli_e2e import one_line_error, run

ROOT = Path(__file__).parents[1]

def child(data_dir: Path, kill_at: int = 0, keep: int = 0, pause: float = 0.0, go: str = "") -> subprocess.Popen:
    """A store opener killed at a statement (tests/migration_child.py)."""
    return subprocess.Popen([sys.executable, "-m", "tests.migration_child", str(data_dir), str(kill_at), str(keep),
                             str(pause), go],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def statement_count(data_dir: Path, keep: int = 0) -> int:
    proc = child(data_dir, keep=keep)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return int(out.split()[-1])


def assert_opens_complete(data_dir: Path) -> None:
    store = Store.open(data_dir)  # must not raise
    try:
        names = [r[0] for r in store.conn.execute("SELECT name FROM _migrations ORDER BY name")]
        assert names == sorted(fn.__name__ for fn in MIGRATIONS)
        tables = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"sessions", "answers", "verdicts", "llm_calls", "judge_cache", "drafts"} <= tables
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        store.close()


def test_statements_are_split_one_by_one():
    script = "CREATE TABLE a (x TEXT DEFAULT 'p;q');\nCREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; SELECT 2; END;\n"
    assert list(statements(script)) == [
        "CREATE TABLE a (x TEXT DEFAULT 'p;q');",
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; SELECT 2; END;",
    ]


@pytest.mark.timeout(280)
@pytest.mark.parametrize("scenario", ["first open", "upgrade of a populated database"])
def test_sigkill_at_any_statement_of_a_migration_leaves_a_database_that_opens(tmp_path, scenario):
    keep = 2 if scenario.startswith("upgrade") else 0

    def prepare(d: Path) -> None:
        if keep:
            proc = child(d, keep=keep)
            assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""

    base = tmp_path / "count"
    prepare(base)
    total = statement_count(base)
    assert total > 5
    for kill_at in range(1, total + 1):
        d = tmp_path / f"kill-{kill_at}"
        prepare(d)
        proc = child(d, kill_at=kill_at)
        proc.communicate(timeout=60)
        assert proc.returncode == -signal.SIGKILL, f"statement {kill_at} of {total} was never reached"
        assert_opens_complete(d)
        if keep:
            store = Store.open(d)
            assert [s.id for s in store.list_sessions()] == ["old-session"]  # the history survived
            store.close()


@pytest.mark.timeout(120)
def test_commands_opening_a_fresh_data_dir_at_the_same_moment(tmp_path):
    go = tmp_path / "go"
    data = tmp_path / "data"
    procs = [child(data, pause=0.01, go=str(go)) for _ in range(4)]
    time.sleep(0.5)  # every child has imported and is waiting
    go.write_text("go")
    for p in procs:
        out, err = p.communicate(timeout=90)
        assert p.returncode == 0, err
        assert "Traceback" not in err
    assert_opens_complete(data)


def test_a_database_from_a_newer_version_is_refused_before_any_write(tmp_path):
    Store.open(tmp_path).close()
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        conn.execute("INSERT INTO _migrations (name, applied_at, app_version) VALUES ('m099_future', 'now', '2.3.0')")

    def contents() -> list:
        with sqlite3.connect(tmp_path / DB_NAME) as conn:
            return [conn.execute("SELECT * FROM _migrations ORDER BY name").fetchall(),
                    conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()]

    before = contents()
    for cmd in (["history"], ["report", "latest"]):
        line = one_line_error(run(*cmd, data_dir=tmp_path))
        assert "newer" in line and "upgrade to 2.3.0 or later" in line
    assert contents() == before


def test_a_database_half_migrated_by_an_old_version_resumes(tmp_path):
    """Before migrations were transactional, a kill could leave m003's first table without its
    record; such a database opens again and completes."""
    conn = sqlite3.connect(tmp_path / DB_NAME)
    conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    conn.commit()
    for fn in MIGRATIONS[:2]:
        fn(conn)
        conn.execute("INSERT INTO _migrations VALUES (?, 'then')", (fn.__name__,))
    conn.execute("CREATE TABLE llm_calls (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, model TEXT NOT NULL,"
                 " question_id TEXT, purpose TEXT NOT NULL, status TEXT NOT NULL, error TEXT,"
                 " prompt_tokens INTEGER NOT NULL DEFAULT 0, completion_tokens INTEGER NOT NULL DEFAULT 0,"
                 " cost_usd REAL, duration_ms REAL NOT NULL DEFAULT 0, cached INTEGER NOT NULL DEFAULT 0)")
    conn.commit()
    conn.close()
    assert_opens_complete(tmp_path)
    os.remove(tmp_path / DB_NAME)
