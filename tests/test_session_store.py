"""The session loop and the store: answers are on disk before grading, nothing is lost on a crash,
and resume continues where the interview stopped."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading

import pytest

from interviewer.errors import UserError
from interviewer.migrations import MIGRATIONS
from interviewer.session import BackgroundGrader, Reply, create_session, plan_allowances, run_session
from interviewer.store import DB_NAME, Store
from reports.records import SessionSettings
from rubrics.verdict import Credit, KeyPointVerdict, Verdict
from tests.helpers import synthetic_bank


class CountingJudge:
    """Gives full credit to every key point whose keyword is in the answer; can be made to block."""

    name = "counting"

    def __init__(self, gate: threading.Event | None = None):
        self.gate = gate
        self.calls = 0

    def grade(self, question, answer):
        if self.gate is not None:
            self.gate.wait(10)
        self.calls += 1
        kps = [
            KeyPointVerdict(id=k.id, weight=k.weight,
                            credit=Credit.full if k.keywords.en[0] in answer else Credit.none)
            for k in question.rubric.key_points
        ]
        return Verdict(question_id=question.id, judge=self.name, key_points=kps)


class ListSource:
    def __init__(self, replies):
        self.replies = list(replies)
        self.turns = []

    def ask(self, turn):
        self.turns.append(turn)
        if not self.replies:
            return None
        r = self.replies.pop(0)
        if isinstance(r, BaseException):
            raise r
        return r


@pytest.fixture
def bank():
    return synthetic_bank({"a": 3, "b": 3})


def _session(store, bank, n=4, minutes=20.0):
    plan = sorted(bank.questions)[:n]
    return create_session(store, SessionSettings(count=n, minutes=minutes), plan)


def test_migrations_are_recorded_once(tmp_path):
    Store.open(tmp_path).close()
    store = Store.open(tmp_path)  # second open applies nothing new
    names = [r[0] for r in store.conn.execute("SELECT name FROM _migrations ORDER BY name")]
    assert names == sorted(fn.__name__ for fn in MIGRATIONS)
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_answer_is_committed_before_grading(tmp_path, bank):
    store = Store.open(tmp_path)
    gate = threading.Event()
    judge = CountingJudge(gate)
    s = _session(store, bank, n=1)
    grader = BackgroundGrader(store, judge)
    run_session(store, bank, s, ListSource([Reply("alpha and beta", 5.0)]), grader)
    # grading is blocked; a separate connection must already see the answer
    other = sqlite3.connect(tmp_path / DB_NAME)
    assert other.execute("SELECT answer FROM answers").fetchall() == [("alpha and beta",)]
    assert other.execute("SELECT count(*) FROM verdicts").fetchone()[0] == 0
    gate.set()
    grader.wait()
    grader.close()
    assert other.execute("SELECT status, score FROM verdicts").fetchall() == [("graded", 10.0)]


def test_empty_answer_is_zero_without_calling_the_judge(tmp_path, bank):
    store = Store.open(tmp_path)
    judge = CountingJudge()
    s = _session(store, bank, n=1)
    grader = BackgroundGrader(store, judge)
    run_session(store, bank, s, ListSource([Reply("   ", 1.0, ended="skipped")]), grader)
    grader.wait()
    (a,) = store.answers(s.id)
    assert judge.calls == 0
    assert a.verdict.score == 0 and a.verdict.reason == "no answer" and a.ended == "skipped"


def test_judge_failure_is_ungraded_not_zero(tmp_path, bank):
    class Broken(CountingJudge):
        def grade(self, question, answer):
            raise RuntimeError("provider down")

    store = Store.open(tmp_path)
    s = _session(store, bank, n=1)
    grader = BackgroundGrader(store, Broken())
    run_session(store, bank, s, ListSource([Reply("alpha", 1.0)]), grader)
    grader.wait()
    (a,) = store.answers(s.id)
    assert a.verdict.status == "ungraded" and a.verdict.score is None
    assert "provider down" in a.verdict.reason


def test_pause_keeps_the_question_open_with_its_text_and_time(tmp_path, bank):
    store = Store.open(tmp_path)
    s = _session(store, bank, n=3)
    grader = BackgroundGrader(store, CountingJudge())
    out = run_session(store, bank, s, ListSource([Reply("alpha", 10.0), Reply("beta so far", 20.0, pause=True)]), grader)
    grader.wait()
    assert out.paused and not out.finished and out.answered == 1
    assert [a.position for a in store.answers(s.id)] == [0]  # the paused text is not an answer yet
    assert store.get_session("latest-active").id == s.id
    store.close()

    store = Store.open(tmp_path)  # a new process would open the store afresh
    s2 = store.get_session(s.id)
    assert s2.elapsed_seconds == pytest.approx(30.0)
    src = ListSource([Reply("beta so far, and done", 5.0), Reply("", 0.0, ended="skipped")])
    grader = BackgroundGrader(store, CountingJudge())
    out = run_session(store, bank, s2, src, grader)
    grader.wait()
    assert out.finished and [t.position for t in src.turns] == [1, 2]
    resumed = src.turns[0]
    assert resumed.draft == "beta so far"
    assert resumed.interview_seconds_left == pytest.approx(20 * 60 - 30)
    answers = store.answers(s.id)
    assert [a.answer for a in answers] == ["alpha", "beta so far, and done", ""]
    # the question's clock continued: 20 s before the pause + 5 s after, out of its full allowance
    assert answers[1].seconds_used == pytest.approx(25.0)
    assert answers[1].seconds_allowed == pytest.approx(resumed.seconds_allowed + 20.0)
    assert store.get_draft(s.id, 1) == ("", 0.0)
    assert store.get_session(s.id).status == "finished"
    with pytest.raises(UserError, match="no unfinished session"):
        store.get_session("latest-active")


def test_a_draft_saved_without_time_keeps_the_time_recorded(tmp_path, bank):
    store = Store.open(tmp_path)
    s = _session(store, bank, n=1)
    store.save_draft(s.id, 0, "paused text", 42.0)
    store.save_draft(s.id, 0, "paused text, typed on")
    assert store.get_draft(s.id, 0) == ("paused text, typed on", 42.0)


CRASH_SCRIPT = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from interviewer.session import BackgroundGrader, Reply, create_session, plan_allowances, run_session
    from interviewer.store import Store
    from reports.records import SessionSettings
    from tests.helpers import synthetic_bank
    from tests.test_session_store import CountingJudge
    import threading

    bank = synthetic_bank({"a": 3, "b": 3})
    store = Store.open(Path(sys.argv[1]))
    s = create_session(store, SessionSettings(count=4, minutes=20), sorted(bank.questions)[:4])
    print(s.id, flush=True)

    class Source:
        def ask(self, turn):
            if turn.position == 2:
                os._exit(9)  # killed mid-interview: no cleanup, no finally blocks
            return Reply("alpha text %d" % turn.position, 4.0)

    gate = threading.Event()  # grading never finishes before the kill
    run_session(store, bank, s, Source(), BackgroundGrader(store, CountingJudge(gate)))
    """
)


def test_killed_process_loses_no_submitted_answer_and_resume_grades_the_rest(tmp_path, bank):
    root = __import__("pathlib").Path(__file__).parents[1]
    proc = subprocess.run([sys.executable, "-c", CRASH_SCRIPT, str(tmp_path)], cwd=root,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 9, proc.stderr
    sid = proc.stdout.strip()
    store = Store.open(tmp_path)
    before = store.answers(sid)
    assert [a.answer for a in before] == ["alpha text 0", "alpha text 1"]
    assert all(a.verdict is None for a in before)  # the kill came before grading
    judge = CountingJudge()
    grader = BackgroundGrader(store, judge)
    out = run_session(store, bank, store.get_session(sid), ListSource([Reply("beta", 1.0), Reply("alpha", 1.0)]), grader)
    grader.wait()
    after = store.answers(sid)
    assert out.finished and len(after) == 4
    assert all(a.verdict is not None and a.verdict.status == "graded" for a in after)
    assert judge.calls == 4


def test_interview_time_budget_stops_the_loop(tmp_path, bank):
    store = Store.open(tmp_path)
    s = _session(store, bank, n=4, minutes=1.0)
    src = ListSource([Reply("alpha", 59.8), Reply("beta", 1.0)])
    grader = BackgroundGrader(store, CountingJudge())
    out = run_session(store, bank, s, src, grader)
    grader.wait()
    assert out.finished and out.answered == 1  # the second question was never asked


def test_session_lookup_by_prefix_and_errors(tmp_path, bank):
    store = Store.open(tmp_path)
    with pytest.raises(UserError, match="no session in"):
        store.get_session("latest")
    s = _session(store, bank)
    assert store.get_session(s.id[:10]).id == s.id
    with pytest.raises(UserError, match="no session 'nope'"):
        store.get_session("nope")


def test_unwritable_data_dir_is_a_clear_error(tmp_path):
    target = tmp_path / "file-not-dir"
    target.write_text("x")
    with pytest.raises(UserError, match="is not writable"):
        Store.open(target / "sub")


def test_draft_survives_an_interruption_and_is_dropped_with_the_answer(tmp_path, bank):
    store = Store.open(tmp_path)
    s = _session(store, bank, n=2)

    class TypesThenDies(ListSource):
        def ask(self, turn):
            turn.save_draft("half an answer about alpha", 40.0)
            raise KeyboardInterrupt  # the terminal went away mid-answer

    with pytest.raises(KeyboardInterrupt):
        run_session(store, bank, s, TypesThenDies([]), BackgroundGrader(store, CountingJudge()))
    store.close()

    store = Store.open(tmp_path)
    src = ListSource([Reply("half an answer about alpha, finished", 2.0), Reply("beta", 1.0)])
    grader = BackgroundGrader(store, CountingJudge())
    run_session(store, bank, store.get_session(s.id), src, grader)
    grader.wait()
    assert src.turns[0].draft == "half an answer about alpha"
    full = plan_allowances([bank.get(q) for q in s.plan], s.settings)[0]
    assert src.turns[0].seconds_allowed == pytest.approx(full - 40.0)  # the crashed question's clock went on
    assert src.turns[0].interview_seconds_left == pytest.approx(s.settings.minutes * 60 - 40.0)  # and the interview's
    assert src.turns[1].draft == ""
    assert store.get_draft(s.id, 0) == ("", 0.0)  # deleted with the submitted answer
    assert store.conn.execute("SELECT count(*) FROM drafts").fetchone()[0] == 0


def test_resume_gives_exactly_the_time_left_at_the_pause(tmp_path, bank):
    """A question paused with 17 s left once came back with 30 s (and its allowance grew): resume
    gives the 17 s, and the recorded allowance stays the question's own."""
    store = Store.open(tmp_path)
    s = _session(store, bank, n=3, minutes=3.0)
    full = plan_allowances([bank.get(q) for q in s.plan], s.settings)
    first = ListSource([Reply("alpha", full[0] + 5, ended="timed_out"), Reply("beta so far", full[1] - 17, pause=True)])
    run_session(store, bank, s, first, BackgroundGrader(store, CountingJudge()))
    src = ListSource([Reply("beta so far, done", 10.0), None])
    run_session(store, bank, store.get_session(s.id), src, BackgroundGrader(store, CountingJudge()))
    resumed = src.turns[0]
    assert resumed.seconds_allowed == pytest.approx(17.0)
    assert resumed.interview_seconds_left == pytest.approx(180 - (full[0] + 5) - (full[1] - 17))
    answer = store.answers(s.id)[1]
    assert answer.seconds_allowed == pytest.approx(full[1]) and answer.seconds_used == pytest.approx(full[1] - 7)


def test_a_question_whose_time_ran_out_before_the_crash_is_submitted_as_typed(tmp_path, bank):
    store = Store.open(tmp_path)
    s = _session(store, bank, n=2)
    full = plan_allowances([bank.get(q) for q in s.plan], s.settings)
    store.save_draft(s.id, 0, "all I had", full[0] + 3)
    src = ListSource([Reply("beta", 1.0)])
    run_session(store, bank, store.get_session(s.id), src, BackgroundGrader(store, CountingJudge()))
    assert [t.position for t in src.turns] == [1]  # not asked again with time it no longer has
    a = store.answers(s.id)[0]
    assert (a.answer, a.ended, a.seconds_allowed) == ("all I had", "timed_out", pytest.approx(full[0]))


def test_autosave_keeps_the_interview_clock_even_when_the_text_does_not_change(tmp_path, bank):
    store = Store.open(tmp_path)
    s = _session(store, bank, n=2)

    class IdleThenDies(ListSource):
        def ask(self, turn):
            turn.save_draft("same text", 12.0)
            turn.save_draft("same text", 21.0)  # no typing in between: the clock still counts
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_session(store, bank, s, IdleThenDies([]), BackgroundGrader(store, CountingJudge()))
    assert store.get_draft(s.id, 0) == ("same text", 21.0)
    assert store.get_session(s.id).elapsed_seconds == pytest.approx(21.0)
