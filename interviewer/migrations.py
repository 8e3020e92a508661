"""Numbered, append-only schema migrations (in the spirit of simonw/llm's migrations.py).

Never edit or reorder a migration that has shipped: add a new one at the end. Each runs once, in
its own transaction, and is recorded in ``_migrations``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = []


def migration(fn: Callable[[sqlite3.Connection], None]) -> Callable[[sqlite3.Connection], None]:
    MIGRATIONS.append(fn)
    return fn


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply pending migrations; returns the names applied."""
    conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row[0] for row in conn.execute("SELECT name FROM _migrations")}
    applied = []
    for fn in MIGRATIONS:
        if fn.__name__ in done:
            continue
        with conn:
            fn(conn)
            conn.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, datetime('now'))", (fn.__name__,)
            )
        applied.append(fn.__name__)
    return applied


@migration
def m001_sessions_answers(conn: sqlite3.Connection) -> None:
    conn.executescript(
        """
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            settings_json TEXT NOT NULL,
            plan_json TEXT NOT NULL,
            reasons_json TEXT NOT NULL DEFAULT '{}',
            elapsed_seconds REAL NOT NULL DEFAULT 0
        );
        CREATE TABLE answers (
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
        CREATE INDEX answers_question ON answers(question_id);
        """
    )


@migration
def m002_verdicts(conn: sqlite3.Connection) -> None:
    conn.executescript(
        """
        CREATE TABLE verdicts (
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
        CREATE INDEX verdicts_answer ON verdicts(answer_id);
        """
    )


@migration
def m003_llm_calls_and_cache(conn: sqlite3.Connection) -> None:
    conn.executescript(
        """
        CREATE TABLE llm_calls (
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
        CREATE TABLE judge_cache (
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
    conn.executescript(
        """
        CREATE TABLE drafts (
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
    conn.executescript(
        """
        CREATE TABLE judge_checks (
            id INTEGER PRIMARY KEY,
            model TEXT NOT NULL,
            endpoint TEXT,
            prompt_version TEXT NOT NULL,
            checked_at TEXT NOT NULL,
            trusted INTEGER NOT NULL,
            result_json TEXT NOT NULL
        );
        CREATE INDEX judge_checks_identity ON judge_checks(model, endpoint, prompt_version);
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
