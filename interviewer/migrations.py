"""Numbered, append-only schema migrations (in the spirit of simonw/llm's migrations.py).

Never edit or reorder a migration that has shipped: add a new one at the end.

Each migration and the row that records it in ``_migrations`` are one transaction, begun with
``BEGIN IMMEDIATE`` and with the statements executed one by one (``executescript`` commits before
it starts and after every statement, which is how a killed first open used to leave a table with
no record of its migration, and a database that never opened again). So a kill at any point leaves
the database either before or after a migration, and the next open resumes from there. The write
lock taken by ``BEGIN IMMEDIATE`` also serialises two commands opening a fresh data dir at the same
moment: the second waits, then finds the work done. Statements are written ``IF NOT EXISTS`` so
that a database half-migrated by a version before this one resumes too.

Each record also names the version of the program that applied it, so that a database written by
a newer version (migrations this one does not know) is refused with the version to upgrade to,
instead of being read and written by code that does not know its schema.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator

MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = []


class NewerDatabaseError(Exception):
    """The database has migrations this version does not know; ``needed`` is the version that
    wrote them (None when it did not say)."""

    def __init__(self, needed: str | None, unknown: list[str]) -> None:
        super().__init__(f"unknown migrations {', '.join(unknown)}")
        self.needed = needed
        self.unknown = unknown


def migration(fn: Callable[[sqlite3.Connection], None]) -> Callable[[sqlite3.Connection], None]:
    MIGRATIONS.append(fn)
    return fn


def app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mock-interview-grader")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "0.0.0"


def _version_key(v: str) -> tuple:
    parts = []
    for p in v.split("."):
        digits = "".join(c for c in p if c.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def statements(script: str) -> Iterator[str]:
    """The SQL statements of ``script``, one at a time (semicolons inside strings or triggers kept)."""
    buf = ""
    for piece in script.split(";"):
        buf += piece + ";"
        if sqlite3.complete_statement(buf):
            if buf.strip(" \t\r\n;"):
                yield buf.strip()
            buf = ""
    if buf.strip(" \t\r\n;"):
        yield buf.strip()


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Execute ``script`` inside the caller's transaction (never ``executescript``: it commits)."""
    for stmt in statements(script):
        conn.execute(stmt)


def _recorded(conn: sqlite3.Connection) -> dict[str, str | None] | None:
    """{migration name: version that applied it}, or None before the first migration."""
    try:
        cols = {row[1] for row in conn.execute("PRAGMA table_info(_migrations)")}
        if not cols:
            return None
        version = "app_version" if "app_version" in cols else "NULL"
        return {row[0]: row[1] for row in conn.execute(f"SELECT name, {version} FROM _migrations")}
    except sqlite3.OperationalError as e:
        if "no such table" in str(e):
            return None
        raise


def check_not_newer(recorded: dict[str, str | None] | None) -> None:
    known = {fn.__name__ for fn in MIGRATIONS}
    unknown = sorted(set(recorded or {}) - known)
    if unknown:
        versions = [v for name in unknown if (v := (recorded or {}).get(name))]
        raise NewerDatabaseError(max(versions, key=_version_key) if versions else None, unknown)


def pending(conn: sqlite3.Connection) -> list[str]:
    """Names of the migrations not applied yet (raises NewerDatabaseError for a newer database)."""
    recorded = _recorded(conn)
    check_not_newer(recorded)
    return [fn.__name__ for fn in MIGRATIONS if fn.__name__ not in (recorded or {})]


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply pending migrations, each in its own ``BEGIN IMMEDIATE`` transaction with its record;
    returns the names applied. Raises NewerDatabaseError, before writing anything, for a database
    written by a newer version."""
    if not pending(conn):  # the usual case: a read, no write lock
        return []
    saved = conn.isolation_level
    conn.isolation_level = None  # our BEGIN/COMMIT only: no implicit transactions around DDL
    applied: list[str] = []
    version = app_version()
    try:
        _in_transaction(conn, _bootstrap)
        for fn in MIGRATIONS:
            def step(c: sqlite3.Connection, fn: Callable[[sqlite3.Connection], None] = fn) -> bool:
                recorded = _recorded(c)  # again, under the write lock: another process may have done it
                check_not_newer(recorded)
                if fn.__name__ in (recorded or {}):
                    return False
                fn(c)
                c.execute("INSERT INTO _migrations (name, applied_at, app_version) VALUES (?, datetime('now'), ?)",
                          (fn.__name__, version))
                return True

            if _in_transaction(conn, step):
                applied.append(fn.__name__)
    finally:
        conn.isolation_level = saved
    return applied


def _bootstrap(conn: sqlite3.Connection) -> bool:
    conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL,"
                 " app_version TEXT)")
    if "app_version" not in {row[1] for row in conn.execute("PRAGMA table_info(_migrations)")}:
        conn.execute("ALTER TABLE _migrations ADD COLUMN app_version TEXT")
    return True


def _in_transaction(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], bool]) -> bool:
    conn.execute("BEGIN IMMEDIATE")  # the write lock first: a concurrent first open waits here
    try:
        result = work(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result


@migration
def m001_sessions_answers(conn: sqlite3.Connection) -> None:
    run_script(conn, """
        CREATE TABLE IF NOT EXISTS sessions (
            id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            settings_json TEXT NOT NULL,
            plan_json TEXT NOT NULL,
            reasons_json TEXT NOT NULL DEFAULT '{}',
            elapsed_seconds REAL NOT NULL DEFAULT 0
        );
        CREATE TABLE IF NOT EXISTS answers (
            id INTEGER PRIMARY KEY,
            session_id TEXT NOT NULL REFERENCES sessions(id),
            position INTEGER NOT NULL,
            question_id TEXT NOT NULL,
            answer TEXT NOT NULL,
            seconds_used REAL NOT NULL,
            seconds_allowed REAL NOT NULL,
            submitted_at TEXT NOT NULL,
            ended TEXT NOT NULL,
            UNIQUE (session_id, position)
        );
        CREATE INDEX IF NOT EXISTS answers_question ON answers(question_id);
        """
    )


@migration
def m002_verdicts(conn: sqlite3.Connection) -> None:
    run_script(conn, """
        CREATE TABLE IF NOT EXISTS verdicts (
            id INTEGER PRIMARY KEY,
            answer_id INTEGER NOT NULL REFERENCES answers(id),
            status TEXT NOT NULL,
            score REAL,
            judge TEXT NOT NULL,
            model TEXT,
            prompt_version TEXT,
            verdict_json TEXT NOT NULL,
            graded_at TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS verdicts_answer ON verdicts(answer_id);
        """
    )


@migration
def m003_llm_calls_and_cache(conn: sqlite3.Connection) -> None:
    run_script(conn, """
        CREATE TABLE IF NOT EXISTS llm_calls (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            model TEXT NOT NULL,
            question_id TEXT,
            purpose TEXT NOT NULL,
            status TEXT NOT NULL,
            error TEXT,
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            cost_usd REAL,
            duration_ms REAL NOT NULL DEFAULT 0,
            cached INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE IF NOT EXISTS judge_cache (
            key TEXT PRIMARY KEY,
            verdict_json TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        """
    )


@migration
def m004_drafts(conn: sqlite3.Connection) -> None:
    """What is being typed, saved every few seconds, so a closed terminal or a crash loses at most
    the last moments of typing, and on pause (with the time already spent on the question); the
    draft is deleted in the same transaction as the answer is saved."""
    run_script(conn, """
        CREATE TABLE IF NOT EXISTS drafts (
            session_id TEXT NOT NULL REFERENCES sessions(id),
            position INTEGER NOT NULL,
            text TEXT NOT NULL,
            seconds_used REAL NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (session_id, position)
        );
        """
    )


@migration
def m005_judge_checks(conn: sqlite3.Connection) -> None:
    """Results of ``interviewer judge check``, by the judge's identity (model, endpoint, prompt
    version), so ``start``, ``drill`` and the report can say whether the judge in use was checked."""
    run_script(conn, """
        CREATE TABLE IF NOT EXISTS judge_checks (
            id INTEGER PRIMARY KEY,
            model TEXT NOT NULL,
            endpoint TEXT,
            prompt_version TEXT NOT NULL,
            checked_at TEXT NOT NULL,
            trusted INTEGER NOT NULL,
            result_json TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS judge_checks_identity ON judge_checks(model, endpoint, prompt_version);
        """
    )


@migration
def m006_follow_up_turns(conn: sqlite3.Connection) -> None:
    """The follow-ups of each question's thread. A row is written when the follow-up is asked (its
    wording may come from a model and must survive a crash), holds the draft and the time spent
    while it is open, gets the answer in one update when it is submitted, and the verdict after
    grading. One statement at a time, each IF NOT EXISTS, so it runs under any migration runner."""
    conn.execute(
        """
        CREATE TABLE IF NOT EXISTS follow_up_turns (
            id INTEGER PRIMARY KEY,
            session_id TEXT NOT NULL REFERENCES sessions(id),
            answer_id INTEGER NOT NULL REFERENCES answers(id),
            position INTEGER NOT NULL,
            number INTEGER NOT NULL,
            question_id TEXT NOT NULL,
            follow_up_id TEXT NOT NULL,
            level TEXT NOT NULL,
            text TEXT NOT NULL,
            phrased_by TEXT,
            reason TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL,
            draft TEXT NOT NULL DEFAULT '',
            answer TEXT,
            seconds_used REAL NOT NULL DEFAULT 0,
            seconds_allowed REAL NOT NULL DEFAULT 0,
            seconds_added REAL NOT NULL DEFAULT 0,
            ended TEXT,
            asked_at TEXT NOT NULL,
            submitted_at TEXT,
            score REAL,
            verdict_json TEXT,
            graded_at TEXT,
            UNIQUE (session_id, position, number)
        )
        """
    )
    conn.execute("CREATE INDEX IF NOT EXISTS follow_up_turns_answer ON follow_up_turns(answer_id)")


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


@migration
def m007_variants(conn: sqlite3.Connection) -> None:
    """The row of numbers each parameterised question was asked with (question_bank.variants):
    decided when the session is drawn (``sessions.variants_json``, position -> row) and stored with
    the answer, so resume, regrade and the report see the instance the candidate saw. NULL and
    '{}' (every older row) mean the canonical row. ALTER TABLE has no IF NOT EXISTS: each column is
    added only when missing."""
    if "variants_json" not in _columns(conn, "sessions"):
        conn.execute("ALTER TABLE sessions ADD COLUMN variants_json TEXT NOT NULL DEFAULT '{}'")
    if "variant" not in _columns(conn, "answers"):
        conn.execute("ALTER TABLE answers ADD COLUMN variant TEXT")
