"""Sessions the web app is running: one engine (the real ``run_session``, on a thread of its own)
per session, never two, whichever tab asks.

An engine is the terminal's ``run_interview`` with the browser as its answer source: the judge is
built behind the first question, answers are graded in the background, a finished interview gets
its report files written to the data dir. A paused engine (the candidate paused, the tab went away,
the server is stopping) ends; continuing starts a new one on the same session, exactly as
``interviewer resume`` does, so either front door can pick up what the other left.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from interviewer.notices import one_line
from interviewer.web.web_source import WebAnswers

#: Seconds the server waits, when stopping, for engines to pause and grading in flight to finish;
#: what is not graded by then is left pending for `interviewer resume` (the answers are on disk).
STOP_WAIT = 4.0


class Banks:
    """The bundled bank plus ``--bank`` extras, loaded once; a session's bank adds the user banks it
    was drawn from."""

    def __init__(self, extra: list[Path] | None = None) -> None:
        self.extra = list(extra or [])
        self._lock = threading.Lock()
        self._banks: dict[tuple[str, ...], object] = {}

    def default(self):  # noqa: ANN201 - a question_bank.loader.Bank
        return self._get(())

    def for_session(self, session):  # noqa: ANN001, ANN201
        return self._get(tuple(p for p in session.settings.banks if Path(p).exists()))

    def _get(self, paths: tuple[str, ...]):  # noqa: ANN202
        from interviewer.run import load_bank_or_fail

        files = list({Path(p).resolve(): None for p in (*paths, *self.extra)})  # a session names our extras too
        key = tuple(map(str, files))
        with self._lock:
            if key not in self._banks:
                self._banks[key] = load_bank_or_fail(files)
            return self._banks[key]


class LiveSession:
    """One session's engine. ``state``: running, grading (the last answers), paused, finished or
    failed (``problem`` says why, in one line)."""

    def __init__(self, store, bank, session, judge) -> None:  # noqa: ANN001
        self.store, self.bank, self.session, self.judge = store, bank, session, judge
        self.id = session.id
        self.source = WebAnswers()
        self.state = "running"
        self.problem: str | None = None
        self.grader = None
        self._stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"session-{self.id}", daemon=True)

    @property
    def judge_status(self):  # noqa: ANN201 - interviewer.judge_loader.JudgeStatus or None
        return getattr(self.judge, "status", None)

    def start(self) -> LiveSession:
        self.thread.start()
        return self

    def alive(self) -> bool:
        return self.thread.is_alive()

    def stop(self) -> None:
        self._stopping.set()
        self.source.stop()

    def _run(self) -> None:
        from interviewer.judge_loader import LazyJudge
        from interviewer.run import follow_up_phraser, grader_workers, write_session_reports
        from interviewer.session import BackgroundGrader, run_session

        status = self.judge_status
        if isinstance(self.judge, LazyJudge):
            self.judge.start()  # now, behind the first question
        self.grader = grader = BackgroundGrader(self.store, self.judge, workers=grader_workers(self.judge),
                                                on_graded=status.note_verdict if status else None)
        try:
            outcome = run_session(self.store, self.bank, self.session, self.source, grader,
                                  phrase=follow_up_phraser(self.judge), warm_up=True)
            self.state = "grading"
            while grader.pending() and not self._stopping.is_set():
                time.sleep(0.1)
            if self._stopping.is_set() and grader.pending():
                self.state = "paused" if outcome.paused else "grading"
                return  # answers are on disk; `interviewer resume` (or Continue) grades the rest
            grader.wait()
            if outcome.paused:
                self.state = "paused"
            else:
                write_session_reports(self.store, self.bank, outcome.session)
                self.state = "finished"
        except Exception as e:  # noqa: BLE001 - a full disk, a bank gone: one line on the page, never a traceback
            self.problem = one_line(e, 300)
            self.state = "failed"
        finally:
            self.source.engine_ended(self.problem)
            grader.close(wait=not self._stopping.is_set())


class LiveSessions:
    """The registry: at most one live engine per session id."""

    def __init__(self, store, banks: Banks) -> None:  # noqa: ANN001
        self.store, self.banks = store, banks
        self._lock = threading.Lock()
        self._live: dict[str, LiveSession] = {}
        self.stopping = False

    def get(self, session_id: str) -> LiveSession | None:
        with self._lock:
            return self._live.get(session_id)

    def running(self, session_id: str) -> LiveSession | None:
        live = self.get(session_id)
        return live if live is not None and live.alive() else None

    def begin(self, session, judge, bank=None) -> LiveSession:  # noqa: ANN001
        """Start the engine of a session just created."""
        return self._start(session, lambda: (bank or self.banks.for_session(session), judge))

    def resume(self, session_id: str, judge_spec: str | None = None) -> LiveSession:
        """The session's engine: the running one, or a new one that continues it where it stopped
        (with the session's own judge settings, as `interviewer resume`)."""
        from interviewer.run import session_judge

        session = self.store.get_session(session_id)
        return self._start(session, lambda: (self.banks.for_session(session),
                                             session_judge(session.settings, self.store, judge=judge_spec, lazy=True)))

    def _start(self, session, build) -> LiveSession:  # noqa: ANN001
        from interviewer.errors import UserError

        with self._lock:
            if self.stopping:
                raise UserError("the server is stopping")
            live = self._live.get(session.id)
            if live is not None and live.alive():
                return live
            bank, judge = build()
            live = self._live[session.id] = LiveSession(self.store, bank, session, judge)
            return live.start()

    def stop_all(self) -> list[LiveSession]:
        """Pause every open turn now (the server is stopping); no new engine starts after this."""
        with self._lock:
            self.stopping = True
            lives = list(self._live.values())
        for live in lives:
            live.stop()
        return lives

    def shutdown(self, timeout: float = STOP_WAIT) -> list[LiveSession]:
        """Pause every open turn and wait up to ``timeout`` for the engines (and the grading they
        still run); the engines still busy then."""
        lives = self.stop_all()
        end = time.monotonic() + timeout
        for live in lives:
            live.thread.join(max(0.0, end - time.monotonic()))
        return [live for live in lives if live.alive()]
