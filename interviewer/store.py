"""The SQLite store: sessions, answers (committed the moment they are submitted), verdicts, the
LLM call log and the judge cache. WAL mode so a killed process loses nothing that was committed."""

from __future__ import annotations

import json
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from interviewer.errors import UserError
from interviewer.migrations import NewerDatabaseError, app_version, migrate, pending
from interviewer.notices import one_line, warn
from reports.records import AnswerRecord, FollowUpRecord, SessionRecord, SessionSettings
from rubrics.judge import LLMCall
from rubrics.limits import MAX_NOTE_CHARS, bounded_verdict, clip
from rubrics.secrets import redact, redact_values, redact_verdict
from rubrics.verdict import Verdict

DB_NAME = "interviewer.db"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def check_writable(data_dir: Path) -> None:
    """Fail before the interview starts, not after the first answer."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".write-test-"):
            pass
    except OSError as e:
        raise UserError(
            f"data dir {data_dir} is not writable ({e.strerror or e}); pass --data-dir DIR or set INTERVIEWER_DATA_DIR"
        ) from None


class StorageError(UserError):
    """A write the database refused (disk full, read-only, I/O error, locked too long). Raised by
    every Store write, so callers can keep what they were saving and say so; ``reason`` is the
    short form for a status line ("database or disk is full")."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


class Store:
    """``read_only`` opens an existing database without writing to it (no migration, no WAL
    switch): what the read-only commands need on a data dir they may not write to."""

    def __init__(self, path: Path, read_only: bool = False):
        self.path = path
        self.read_only = read_only
        self._lock = threading.RLock()
        self.conn: sqlite3.Connection | None = None
        try:
            self.conn = _connect_read_only(path) if read_only else sqlite3.connect(path, check_same_thread=False, timeout=30)
            self.conn.row_factory = sqlite3.Row
            if not read_only:
                _set_wal(self.conn)
                # FULL: a submitted answer survives a power cut too, at one fsync per answer.
                self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            _check_integrity(self.conn)
            if read_only:
                if pending(self.conn):
                    raise UserError(f"the history database {path} needs an upgrade to this version's schema, which "
                                    f"needs write access to {path.parent}")
            else:
                migrate(self.conn)
        except NewerDatabaseError as e:
            self._close_quietly()
            needed = f"{e.needed} or later" if e.needed else f"a version newer than {app_version()}"
            raise UserError(
                f"the history database {path} was written by a newer mock-interview-grader; upgrade to {needed} "
                f"(pip install -U mock-interview-grader) or pass another --data-dir"
            ) from None
        except UserError:
            self._close_quietly()
            raise
        except sqlite3.DatabaseError as e:
            self._close_quietly()
            raise self._error(e) from None

    @classmethod
    def open(cls, data_dir: Path, *, read_only_ok: bool = False) -> Store:
        """The store of ``data_dir``. With ``read_only_ok`` (commands that only read), a data dir
        that cannot be written to is opened read-only instead of refused."""
        try:
            check_writable(data_dir)
        except UserError:
            if read_only_ok and (data_dir / DB_NAME).is_file():
                return cls(data_dir / DB_NAME, read_only=True)
            raise
        return cls(data_dir / DB_NAME)

    def close(self) -> None:
        with self._lock:
            if self.conn is not None:
                self.conn.close()

    def _close_quietly(self) -> None:
        try:
            if self.conn is not None:
                self.conn.close()
        except sqlite3.Error:
            pass

    def _error(self, e: sqlite3.DatabaseError) -> UserError:
        """One line that says what went wrong with the database file and what to do."""
        msg = " ".join(str(e).split())
        if _is_damage(e):
            return UserError(
                f"the history database {self.path} is damaged ({msg}); move it aside (or try "
                f"`sqlite3 {self.path} .recover`) and run again, or pass another --data-dir"
            )
        if isinstance(e, sqlite3.OperationalError) and ("full" in msg or "readonly" in msg or "disk I/O" in msg
                                                        or "locked" in msg or "unable to open" in msg):
            hint = {"full": "free some disk space", "readonly": f"make {self.path.parent} writable",
                    "locked": "another interviewer command holds it; wait for it to finish"}
            what = next((v for k, v in hint.items() if k in msg), f"check {self.path.parent}")
            return StorageError(f"cannot write to the history database {self.path}: {msg}; {what}", reason=msg)
        return UserError(f"cannot open the history database {self.path}: {msg}; move it aside or pass another --data-dir")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (rolled back on failure); database errors become one-line errors."""
        with self._lock:
            try:
                with self.conn:
                    yield self.conn
            except sqlite3.DatabaseError as e:
                raise self._error(e) from None

    def _write(self, sql: str, params: tuple = ()) -> sqlite3.Cursor:
        with self._transaction() as conn:
            return conn.execute(sql, params)

    def _read(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self.conn.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as e:
                raise self._error(e) from None

    # sessions -----------------------------------------------------------------------------
    def create_session(self, s: SessionRecord) -> None:
        self._write(
            "INSERT INTO sessions (id, created_at, finished_at, status, settings_json, plan_json, reasons_json,"
            " elapsed_seconds, variants_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                s.id, s.created_at.isoformat(), None, s.status, s.settings.model_dump_json(),
                json.dumps(s.plan), json.dumps(s.reasons, ensure_ascii=False), s.elapsed_seconds,
                json.dumps({str(k): v for k, v in s.variants.items()}),
            ),
        )

    def update_elapsed(self, session_id: str, elapsed: float) -> None:
        self._write("UPDATE sessions SET elapsed_seconds = ? WHERE id = ?", (elapsed, session_id))

    def update_settings(self, session_id: str, settings: SessionSettings) -> None:
        """Settings changed on ``resume`` (the follow-ups per question) hold for later resumes too."""
        self._write("UPDATE sessions SET settings_json = ? WHERE id = ?", (settings.model_dump_json(), session_id))

    def finish_session(self, session_id: str) -> None:
        """Keeps the first end time: finishing the grading of an interrupted session later does not move it."""
        self._write("UPDATE sessions SET status = 'finished', finished_at = COALESCE(finished_at, ?) WHERE id = ?",
                    (_now(), session_id))

    @staticmethod
    def _session(row: sqlite3.Row) -> SessionRecord:
        return SessionRecord(
            id=row["id"],
            created_at=row["created_at"],
            finished_at=row["finished_at"],
            status=row["status"],
            settings=SessionSettings.model_validate_json(row["settings_json"]),
            plan=json.loads(row["plan_json"]),
            reasons=json.loads(row["reasons_json"]),
            elapsed_seconds=row["elapsed_seconds"],
            variants=json.loads(row["variants_json"] or "{}"),
        )

    def list_sessions(self) -> list[SessionRecord]:
        """Every readable session; a corrupted row is skipped with a warning naming it."""
        out = []
        for r in self._read("SELECT * FROM sessions ORDER BY created_at, rowid"):
            try:
                out.append(self._session(r))
            except (ValueError, TypeError) as e:
                warn(f"session {r['id']} is corrupted in {self.path} and was skipped ({one_line(e)})")
        return out

    def _readable_session(self, row: sqlite3.Row) -> SessionRecord:
        try:
            return self._session(row)
        except (ValueError, TypeError) as e:
            raise UserError(f"session {row['id']} is corrupted in {self.path} ({one_line(e)}); "
                            "`interviewer history` lists the others") from None

    _PENDING = ("EXISTS (SELECT 1 FROM answers a WHERE a.session_id = sessions.id"
                " AND NOT EXISTS (SELECT 1 FROM verdicts v WHERE v.answer_id = a.id))")

    def get_session(self, ref: str = "latest") -> SessionRecord:
        """By id, unique id prefix, 'latest', or 'latest-active' (the newest unfinished one: still
        being answered, or ended with answers never graded because the process was killed)."""
        if ref in ("latest", "latest-active"):
            where = f"WHERE status = 'active' OR {self._PENDING}" if ref == "latest-active" else ""
            rows = self._read(f"SELECT * FROM sessions {where} ORDER BY created_at DESC, rowid DESC LIMIT 1")
            if not rows:
                what = "unfinished session" if ref == "latest-active" else "session"
                raise UserError(f"no {what} in {self.path.parent}; start one with `interviewer start`")
            return self._readable_session(rows[0])
        if not ref.strip():
            raise UserError("give a session id, a prefix of one, or 'latest'; `interviewer history` lists the sessions")
        # a literal prefix (substr, not LIKE: '%' and '_' in a reference are characters, not patterns)
        rows = self._read("SELECT * FROM sessions WHERE substr(id, 1, ?) = ? ORDER BY created_at", (len(ref), ref))
        if not rows:
            raise UserError(f"no session {ref!r}; `interviewer history` lists the sessions")
        if len(rows) > 1 and rows[0]["id"] != ref:
            raise UserError(f"session prefix {ref!r} is ambiguous ({len(rows)} sessions); give more characters")
        return self._readable_session(rows[0])

    # answers and verdicts -------------------------------------------------------------------
    def add_answer(self, a: AnswerRecord) -> int:
        """Commit the answer before anything else happens to it (grading, printing, the next
        question), and drop its draft in the same transaction."""
        with self._transaction() as conn:
            cur = conn.execute(
                "INSERT INTO answers (session_id, position, question_id, answer, seconds_used, seconds_allowed,"
                " submitted_at, ended, variant) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (a.session_id, a.position, a.question_id, redact_values(a.answer), a.seconds_used, a.seconds_allowed,
                 a.submitted_at.isoformat(), a.ended, a.variant),
            )
            conn.execute("DELETE FROM drafts WHERE session_id = ? AND position = ?", (a.session_id, a.position))
        a.id = int(cur.lastrowid or 0)
        return a.id

    def save_draft(self, session_id: str, position: int, text: str, seconds_used: float | None = None) -> None:
        """Keeps the time already recorded when given none."""
        self._write(
            "INSERT INTO drafts (session_id, position, text, seconds_used, updated_at) VALUES (?, ?, ?, COALESCE(?, 0), ?)"
            " ON CONFLICT (session_id, position) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at,"
            " seconds_used = COALESCE(?, drafts.seconds_used)",
            (session_id, position, redact_values(text), seconds_used, _now(), seconds_used),
        )

    def get_draft(self, session_id: str, position: int) -> tuple[str, float]:
        """(text, seconds already spent on the question); ("", 0.0) when there is none."""
        rows = self._read("SELECT text, seconds_used FROM drafts WHERE session_id = ? AND position = ?",
                          (session_id, position))
        return (rows[0][0], rows[0][1]) if rows else ("", 0.0)

    def save_verdict(self, answer_id: int, v: Verdict) -> None:
        v = bounded_verdict(redact_verdict(v))  # judges do it already; this is what reaches the disk, whatever the judge
        self._write(
            "INSERT INTO verdicts (answer_id, status, score, judge, model, prompt_version, verdict_json, graded_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (answer_id, v.status, v.score, v.judge, v.model, v.prompt_version, v.model_dump_json(),
             v.graded_at.isoformat()),
        )

    _ANSWERS_SQL = """
        SELECT a.*, (SELECT v.verdict_json FROM verdicts v WHERE v.answer_id = a.id ORDER BY v.id DESC LIMIT 1)
               AS verdict_json
        FROM answers a {where} ORDER BY a.session_id, a.position
    """

    def _answer(self, row: sqlite3.Row) -> AnswerRecord | None:
        """The answer of a row; None (with a warning) when the row is corrupted. An unreadable
        verdict only loses the verdict: the answer stays, ungraded, for `regrade`."""
        where = f"session {row['session_id']}, answer {row['position'] + 1 if isinstance(row['position'], int) else '?'}"
        try:
            record = AnswerRecord(
                id=row["id"], session_id=row["session_id"], position=row["position"], question_id=row["question_id"],
                answer=row["answer"], seconds_used=row["seconds_used"], seconds_allowed=row["seconds_allowed"],
                submitted_at=row["submitted_at"], ended=row["ended"], variant=row["variant"],
            )
        except (ValueError, TypeError) as e:
            warn(f"{where} is corrupted in {self.path} and was skipped ({one_line(e)})")
            return None
        vj = row["verdict_json"]
        try:
            record.verdict = Verdict.model_validate_json(vj) if vj else None
        except (ValueError, TypeError) as e:
            warn(f"{where}: its verdict is corrupted and was ignored ({one_line(e)}); "
                 f"`interviewer regrade {row['session_id']}` grades it again")
        return record

    def _answers(self, rows: list[sqlite3.Row]) -> list[AnswerRecord]:
        return [a for a in map(self._answer, rows) if a is not None]

    def answers(self, session_id: str) -> list[AnswerRecord]:
        return self._answers(self._read(self._ANSWERS_SQL.format(where="WHERE a.session_id = ?"), (session_id,)))

    def all_answers(self) -> list[AnswerRecord]:
        return self._answers(self._read(self._ANSWERS_SQL.format(where="")))

    # LLM call log and judge cache (rubrics.judge.CallLog / VerdictCache) ---------------------
    def record_call(self, call: LLMCall) -> None:
        self._write(
            "INSERT INTO llm_calls (started_at, model, question_id, purpose, status, error, prompt_tokens,"
            " completion_tokens, cost_usd, duration_ms, cached) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (call.started_at.isoformat(), call.model, call.question_id, call.purpose, call.status,
             clip(redact(call.error), MAX_NOTE_CHARS) if call.error else None,
             call.prompt_tokens, call.completion_tokens, call.cost_usd, call.duration_ms, int(call.cached)),
        )

    def calls(self) -> list[LLMCall]:
        return [LLMCall.model_validate(dict(r)) for r in self._read("SELECT * FROM llm_calls ORDER BY id")]

    def cache_get(self, key: str) -> Verdict | None:
        rows = self._read("SELECT verdict_json FROM judge_cache WHERE key = ?", (key,))
        return Verdict.model_validate_json(rows[0][0]) if rows else None

    def cache_put(self, key: str, verdict: Verdict) -> None:
        self._write(
            "INSERT OR REPLACE INTO judge_cache (key, verdict_json, created_at) VALUES (?, ?, ?)",
            (key, bounded_verdict(redact_verdict(verdict)).model_dump_json(), _now()),
        )


    # judge checks (interviewer judge check) -----------------------------------------------------
    def save_judge_check(self, model: str, endpoint: str | None, prompt_version: str, trusted: bool, result: dict) -> None:
        self._write(
            "INSERT INTO judge_checks (model, endpoint, prompt_version, checked_at, trusted, result_json)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (model, endpoint, prompt_version, _now(), int(trusted), json.dumps(result, ensure_ascii=False)),
        )

    def latest_judge_check(self, model: str, endpoint: str | None, prompt_version: str) -> dict | None:
        """The newest stored check of this judge identity: its result, plus ``checked_at`` and ``trusted``."""
        rows = self._read(
            "SELECT checked_at, trusted, result_json FROM judge_checks WHERE model = ? AND endpoint IS ?"
            " AND prompt_version = ? ORDER BY id DESC LIMIT 1",
            (model, endpoint, prompt_version),
        )
        if not rows:
            return None
        return {**json.loads(rows[0]["result_json"]), "checked_at": rows[0]["checked_at"], "trusted": bool(rows[0]["trusted"])}


    # follow-ups: each turn of a question's thread (interviewer.follow_ups) ------------------------
    def ask_follow_up(self, f: FollowUpRecord, answer_id: int) -> int:
        """Record that a follow-up is being asked, with its wording and the time it has, before the
        candidate sees it: ``resume`` returns to it exactly."""
        cur = self._write(
            "INSERT INTO follow_up_turns (session_id, answer_id, position, number, question_id, follow_up_id, level,"
            " text, phrased_by, reason, status, draft, seconds_used, seconds_allowed, seconds_added, asked_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'asked', ?, ?, ?, ?, ?)",
            (f.session_id, answer_id, f.position, f.number, f.question_id, f.follow_up_id, f.level, f.text,
             f.phrased_by, f.reason, f.draft, f.seconds_used, f.seconds_allowed, f.seconds_added,
             f.asked_at.isoformat()),
        )
        f.id = int(cur.lastrowid or 0)
        return f.id

    def save_follow_up_draft(self, turn_id: int, text: str, seconds_used: float) -> None:
        self._write("UPDATE follow_up_turns SET draft = ?, seconds_used = ? WHERE id = ? AND answer IS NULL",
                    (text, seconds_used, turn_id))

    def submit_follow_up(self, f: FollowUpRecord) -> None:
        """Commit the follow-up's answer (and drop its draft) before it is graded."""
        assert f.id is not None and f.answer is not None
        f.submitted_at = f.submitted_at or datetime.now(timezone.utc)
        self._write(
            "UPDATE follow_up_turns SET answer = ?, ended = ?, seconds_used = ?, seconds_allowed = ?, submitted_at = ?,"
            " draft = '', status = 'answered' WHERE id = ?",
            (f.answer, f.ended, f.seconds_used, f.seconds_allowed, f.submitted_at.isoformat(), f.id),
        )

    def save_follow_up_verdict(self, turn_id: int, v: Verdict) -> None:
        self._write("UPDATE follow_up_turns SET status = ?, score = ?, verdict_json = ?, graded_at = ? WHERE id = ?",
                    (v.status, v.score, v.model_dump_json(), v.graded_at.isoformat(), turn_id))

    def _follow_up(self, row: sqlite3.Row) -> FollowUpRecord | None:
        """The turn of a row; None (with a warning) when the row is corrupted. An unreadable verdict
        only loses the verdict, as for a main answer."""
        try:
            f = FollowUpRecord(
                id=row["id"], session_id=row["session_id"], position=row["position"], number=row["number"],
                question_id=row["question_id"], follow_up_id=row["follow_up_id"], level=row["level"], text=row["text"],
                phrased_by=row["phrased_by"], reason=row["reason"], draft=row["draft"], answer=row["answer"],
                seconds_used=row["seconds_used"], seconds_allowed=row["seconds_allowed"],
                seconds_added=row["seconds_added"], asked_at=row["asked_at"], submitted_at=row["submitted_at"],
                ended=row["ended"],
            )
        except (ValueError, TypeError) as e:
            warn(f"session {row['session_id']}, a follow-up of question {row['position']}: corrupted in {self.path} "
                 f"and skipped ({one_line(e)})")
            return None
        if row["verdict_json"]:
            try:
                f.verdict = Verdict.model_validate_json(row["verdict_json"])
            except (ValueError, TypeError) as e:
                warn(f"session {row['session_id']}, follow-up {f.number} of question {f.position + 1}: its verdict is "
                     f"corrupted and was ignored ({one_line(e)}); `interviewer regrade {f.session_id}` grades it again")
        return f

    def follow_up_turns(self, session_id: str | None = None, position: int | None = None) -> list[FollowUpRecord]:
        """Follow-up turns in the order asked: a session's, one question's of it, or all."""
        where, params = [], []
        if session_id is not None:
            where.append("session_id = ?")
            params.append(session_id)
        if position is not None:
            where.append("position = ?")
            params.append(position)
        sql = "SELECT * FROM follow_up_turns" + (" WHERE " + " AND ".join(where) if where else "")
        rows = self._read(sql + " ORDER BY session_id, position, number", tuple(params))
        return [f for f in map(self._follow_up, rows) if f is not None]

    def attach_follow_ups(self, answers: list[AnswerRecord]) -> list[AnswerRecord]:
        """``answers`` with their threads filled in (``AnswerRecord.follow_ups``)."""
        sessions = {a.session_id for a in answers}
        turns = self.follow_up_turns(next(iter(sessions))) if len(sessions) == 1 else self.follow_up_turns()
        by_answer: dict[tuple[str, int], list[FollowUpRecord]] = {}
        for f in turns:
            by_answer.setdefault((f.session_id, f.position), []).append(f)
        for a in answers:
            a.follow_ups = by_answer.get((a.session_id, a.position), [])
        return answers


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """Read without writing: ``mode=ro``; when even that needs a write (a WAL database whose -shm
    file cannot be created in a read-only dir), as an immutable file."""
    if not path.is_file():
        raise UserError(f"no history database in {path.parent}; start an interview with `interviewer start`")
    uri = "file:" + quote(str(path.resolve()))
    conn = sqlite3.connect(uri + "?mode=ro", uri=True, check_same_thread=False, timeout=30)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        conn.close()
    return sqlite3.connect(uri + "?mode=ro&immutable=1", uri=True, check_same_thread=False)


def _check_integrity(conn: sqlite3.Connection) -> None:
    """A damaged page is found now, with a message that says what to do, not as an internal error
    after a whole interview (quick_check reads every page: milliseconds for a typical history)."""
    rows = conn.execute("PRAGMA quick_check(1)").fetchall()
    if rows and rows[0][0] != "ok":
        raise sqlite3.DatabaseError(f"database disk image is malformed: {rows[0][0]}")


def _is_damage(e: sqlite3.DatabaseError) -> bool:
    msg = str(e)
    return "malformed" in msg or "not a database" in msg or (type(e) is sqlite3.DatabaseError and "corrupt" in msg)


def _set_wal(conn: sqlite3.Connection, attempts: int = 50) -> None:
    """WAL mode; switching a fresh file needs an exclusive lock, which a command opening the same
    new data dir at the same moment may hold for a few milliseconds (no busy handler helps here)."""
    import time

    for i in range(attempts):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or i == attempts - 1:
                raise
            time.sleep(0.02 * (i + 1))


