"""Follow-ups: which one is asked (gaps first, then one rung deeper), and how a thread runs in the
session loop: its time, what is stored before grading, pauses, crashes and resume inside a
follow-up, skips and early finishes, and the question's combined score."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from interviewer.follow_up_choice import next_follow_up
from interviewer.session import (
    FOLLOW_UP_SECONDS, MINUTES_BY_DIFFICULTY, BackgroundGrader, Reply, create_session, plan_clock, run_session,
)
from interviewer.store import Store
from reports.question_score import FOLLOW_UPS_WEIGHT, MAIN_WEIGHT, question_score
from reports.records import SessionSettings
from rubrics.verdict import Credit, KeyPointVerdict, Verdict
from tests.helpers import ladder_bank, ladder_question
from tests.test_session_store import CountingJudge, ListSource

ROOT = Path(__file__).parents[1]


class KeywordJudge(CountingJudge):
    """The keyword judge of the session tests, standing in for the offline judge: follow-ups are then
    chosen from the main answer's own verdict, graded at once."""

    name = "offline"


def verdict(credits: dict[str, str], contradicted: tuple[str, ...] = (), weights: dict[str, float] | None = None) -> Verdict:
    weights = weights or {"p1": 2.0, "p2": 1.0}
    return Verdict(question_id="q", key_points=[
        KeyPointVerdict(id=k, weight=weights.get(k, 1.0), credit=Credit(c), contradicted=k in contradicted)
        for k, c in credits.items()])


# --- the choice -----------------------------------------------------------------------------------

def test_a_missed_point_is_probed_first():
    q = ladder_question("q")
    c = next_follow_up(q, verdict({"p1": "full", "p2": "none"}), [])
    assert (c.follow_up.id, c.why, c.point) == ("f-trade", "gap", "p2")
    c = next_follow_up(q, verdict({"p1": "partial", "p2": "full"}), [])
    assert (c.follow_up.id, c.why, c.point) == ("f-mech", "gap", "p1")


def test_a_wrong_claim_is_probed_before_a_miss_and_gaps_from_the_bottom_of_the_ladder():
    q = ladder_question("q")
    # p1 asserted wrongly, p2 missed: the wrong claim first
    c = next_follow_up(q, verdict({"p1": "none", "p2": "none"}, contradicted=("p1",)), [])
    assert (c.follow_up.id, c.point) == ("f-mech", "p1")
    c = next_follow_up(q, verdict({"p1": "none", "p2": "none"}, contradicted=("p2",)), [])
    assert (c.follow_up.id, c.point) == ("f-trade", "p2")
    # nothing right: the gap is probed from the mechanism rung; then the other gap
    nothing = verdict({"p1": "none", "p2": "none"})
    assert next_follow_up(q, nothing, []).follow_up.id == "f-mech"
    assert next_follow_up(q, nothing, ["f-mech"]).follow_up.id == "f-trade"  # p1 was probed: p2 next


def test_a_complete_answer_climbs_the_ladder_one_rung_at_a_time():
    q = ladder_question("q")
    everything = verdict({"p1": "full", "p2": "full"})
    asked: list[str] = []
    whys = []
    while (c := next_follow_up(q, everything, asked)) is not None:
        asked.append(c.follow_up.id)
        whys.append(c.why)
    # the answer showed the first rung: trade-off, then numbers; the mechanism rung comes last
    assert asked == ["f-trade", "f-num", "f-mech"] and set(whys) == {"deeper"}


def test_without_a_verdict_the_ladder_decides_and_the_choice_is_deterministic():
    q = ladder_question("q")
    assert next_follow_up(q, Verdict.ungraded("q", "judge down"), []).why == "deeper"
    assert next_follow_up(q, None, []).follow_up.id == "f-trade"
    v = verdict({"p1": "full", "p2": "none"})
    assert {next_follow_up(q, v, [], seed=s).follow_up.id for s in range(20)} == {"f-trade"}  # no tie: the seed is moot
    assert next_follow_up(ladder_question("bare").model_copy(update={"follow_ups": []}), v, []) is None


def test_the_seed_only_breaks_ties():
    q = ladder_question("q")
    data = q.model_dump()
    data["follow_ups"][2]["level"] = "trade_off"  # f-trade and f-num now tie for the next rung
    tied = type(q).model_validate(data)
    everything = verdict({"p1": "full", "p2": "full"})
    picks = {next_follow_up(tied, everything, [], seed=s).follow_up.id for s in range(30)}
    assert picks == {"f-trade", "f-num"}
    assert len({next_follow_up(tied, everything, [], seed=7).follow_up.id for _ in range(5)}) == 1
    assert next_follow_up(tied, everything, []).follow_up.id == "f-trade"  # no seed: the bank's order


# --- the thread in the session loop ---------------------------------------------------------------

def _session(store, bank, follow_ups=1, minutes=None, n=None):
    plan = sorted(bank.questions)[:n]
    qs = [bank.get(q) for q in plan]
    minutes = minutes or sum(MINUTES_BY_DIFFICULTY[q.difficulty] + follow_ups * FOLLOW_UP_SECONDS[q.difficulty] / 60
                             for q in qs)
    return create_session(store, SessionSettings(count=len(plan), minutes=minutes, follow_ups=follow_ups), plan)


def test_every_question_gets_its_follow_up_asked_answered_stored_and_graded(tmp_path):
    bank = ladder_bank(3)
    store = Store.open(tmp_path)
    s = _session(store, bank)
    src = ListSource([Reply("alpha beta", 30.0), Reply("delta, because", 20.0),  # complete: one rung deeper
                      Reply("alpha", 40.0), Reply("delta", 10.0),  # p2 missed: probed
                      Reply("I don't know", 5.0), Reply("no idea", 5.0)])  # nothing: from the bottom rung
    grader = BackgroundGrader(store, KeywordJudge())
    out = run_session(store, bank, s, src, grader)
    grader.wait()
    assert out.finished and out.answered == 3
    asked = [t.follow_up for t in src.turns if t.follow_up]
    assert [f.text.split(":")[0] for f in asked] == [f"Follow-up {fid} of ladder-{i:02d}"
                                                     for i, fid in enumerate(("f-trade", "f-trade", "f-mech"))]
    assert asked[0].thread == [("Question ladder-00?", "alpha beta")] and asked[0].planned == 1
    answers = store.attach_follow_ups(store.answers(s.id))
    turns = [a.follow_ups for a in answers]
    assert [len(t) for t in turns] == [1, 1, 1]
    f = turns[0][0]
    assert (f.follow_up_id, f.level, f.reason, f.answer, f.ended, f.seconds_used) == (
        "f-trade", "trade_off", "deeper", "delta, because", "submitted", 20.0)
    assert f.text == bank.get("ladder-00").follow_ups[1].text.en and f.phrased_by is None
    assert turns[1][0].reason == "gap:p2" and turns[2][0].reason == "gap:p1"
    # graded against the ladder item's own rubric, under its own id
    assert f.verdict.question_id == "ladder-00~f-trade" and f.verdict.score == 10.0
    assert turns[2][0].verdict.score == 0.0
    # the question's score combines the answer and its follow-up
    assert question_score(answers[1]) == pytest.approx(MAIN_WEIGHT * answers[1].verdict.score + FOLLOW_UPS_WEIGHT * 10, abs=0.01)
    assert question_score(answers[2]) == 0.0


def test_a_follow_up_shares_the_questions_clock_plus_its_allowance(tmp_path):
    bank = ladder_bank(2)
    store = Store.open(tmp_path)
    s = _session(store, bank, follow_ups=2)
    src = ListSource([Reply("alpha beta", 100.0), Reply("delta", 50.0), Reply("epsilon", 30.0), None])
    run_session(store, bank, s, src, BackgroundGrader(store, KeywordJudge()))
    easy = MINUTES_BY_DIFFICULTY["easy"] * 60
    extra = FOLLOW_UP_SECONDS["easy"]
    first, second = (t for t in src.turns if t.follow_up)
    assert first.seconds_allowed == pytest.approx(easy - 100 + extra)
    assert second.seconds_allowed == pytest.approx(easy - 100 - 50 + 2 * extra)
    assert first.follow_up.seconds_added == pytest.approx(extra)
    assert second.follow_up.thread == [("Question ladder-00?", "alpha beta"), (first.follow_up.text, "delta")]
    # with --minutes the interview keeps its length: questions and follow-ups share it in proportion
    settings = SessionSettings(minutes=10, follow_ups=1)
    mains, extras = plan_clock([bank.get("ladder-00"), bank.get("ladder-01")], settings)
    assert sum(mains) + sum(extras) == pytest.approx(600)
    assert extras[1] / extras[0] == pytest.approx(FOLLOW_UP_SECONDS["medium"] / FOLLOW_UP_SECONDS["easy"])


def test_a_skipped_follow_up_ends_the_thread_and_counts_zero_and_a_skipped_question_gets_none(tmp_path):
    bank = ladder_bank(2)
    store = Store.open(tmp_path)
    s = _session(store, bank, follow_ups=2)
    src = ListSource([Reply("alpha beta", 10.0), Reply("", 2.0, ended="skipped"), Reply("", 1.0, ended="skipped")])
    grader = BackgroundGrader(store, KeywordJudge())
    out = run_session(store, bank, s, src, grader)
    grader.wait()
    assert out.finished
    a0, a1 = store.attach_follow_ups(store.answers(s.id))
    assert [(f.number, f.ended) for f in a0.follow_ups] == [(1, "skipped")]  # the second was never asked
    assert a0.follow_ups[0].verdict.score == 0
    assert question_score(a0) == pytest.approx(MAIN_WEIGHT * 10)
    assert a1.follow_ups == [] and len(src.turns) == 3


def test_finishing_the_interview_asks_no_more_follow_ups(tmp_path):
    bank = ladder_bank(3)
    store = Store.open(tmp_path)
    s = _session(store, bank, follow_ups=2)
    src = ListSource([Reply("alpha beta", 10.0), Reply("delta", 5.0, finish=True)])
    out = run_session(store, bank, s, src, BackgroundGrader(store, KeywordJudge()))
    assert out.finished and len(src.turns) == 2
    s2 = _session(store, bank, follow_ups=2)
    src = ListSource([Reply("alpha beta", 10.0, finish=True)])
    out = run_session(store, bank, s2, src, BackgroundGrader(store, KeywordJudge()))
    assert out.finished and len(src.turns) == 1 and store.follow_up_turns(s2.id) == []


def test_ctrl_c_inside_a_follow_up_and_resume_puts_the_candidate_back_in_it(tmp_path):
    bank = ladder_bank(2)
    store = Store.open(tmp_path)
    s = _session(store, bank)
    src = ListSource([Reply("alpha beta", 30.0), Reply("delta so far", 25.0, pause=True)])
    out = run_session(store, bank, s, src, BackgroundGrader(store, KeywordJudge()))
    assert out.paused and not out.finished
    asked = src.turns[1]
    (f,) = store.follow_up_turns(s.id)
    assert (f.answer, f.draft, f.seconds_used) == (None, "delta so far", 25.0)  # open, with its text and time
    store.close()

    store = Store.open(tmp_path)
    src = ListSource([Reply("delta so far, and done", 5.0), Reply("beta", 3.0), Reply("gamma", 2.0)])
    grader = BackgroundGrader(store, KeywordJudge())
    out = run_session(store, bank, store.get_session(s.id), src, grader)
    grader.wait()
    assert out.finished
    back = src.turns[0]
    assert back.follow_up is not None and back.position == 0 and back.draft == "delta so far"
    assert back.follow_up.text == asked.follow_up.text and back.follow_up.thread == asked.follow_up.thread
    assert back.seconds_allowed == pytest.approx(asked.seconds_allowed - 25.0)  # exactly the time that was left
    assert back.interview_seconds_left == pytest.approx(s.settings.minutes * 60 - 55.0)
    (f,) = store.follow_up_turns(s.id, 0)
    assert (f.answer, f.draft, f.seconds_used) == ("delta so far, and done", "", 30.0)
    assert f.seconds_allowed == pytest.approx(asked.seconds_allowed)
    assert f.verdict is not None and f.verdict.status == "graded"
    assert [t.position for t in src.turns] == [0, 1, 1] and src.turns[2].follow_up.number == 1


CRASH_IN_FOLLOW_UP = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from interviewer.session import BackgroundGrader, Reply, create_session, run_session
    from interviewer.store import Store
    from reports.records import SessionSettings
    from tests.helpers import ladder_bank
    from tests.test_follow_ups import KeywordJudge

    bank = ladder_bank(2)
    store = Store.open(Path(sys.argv[1]))
    s = create_session(store, SessionSettings(count=2, minutes=20, follow_ups=1), sorted(bank.questions))
    print(s.id, flush=True)

    class Source:
        def ask(self, turn):
            if turn.follow_up is None:
                return Reply("alpha beta", 30.0)
            if sys.argv[2] == "typing":
                turn.save_draft("delta, half typed", 12.0)  # the autosave
                turn.save_draft("delta, half typed and more", 21.0)
            os._exit(9)  # killed inside the follow-up: no cleanup, no finally blocks

    run_session(store, bank, s, Source(), BackgroundGrader(store, KeywordJudge()))
    """
)


@pytest.mark.parametrize("when", ["typing", "asked"])
def test_a_killed_process_inside_a_follow_up_resumes_in_it(tmp_path, when):
    """Killed while typing a follow-up (after autosaves) or the moment it was asked: resume returns
    to the same follow-up, with the text and the time the disk had."""
    proc = subprocess.run([sys.executable, "-c", CRASH_IN_FOLLOW_UP, str(tmp_path), when], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 9, proc.stderr
    sid = proc.stdout.strip()
    bank = ladder_bank(2)
    store = Store.open(tmp_path)
    (f,) = store.follow_up_turns(sid)
    assert f.answer is None and f.follow_up_id == "f-trade"
    src = ListSource([Reply("delta, finished", 4.0), Reply("beta", 1.0), Reply("gamma", 1.0)])
    grader = BackgroundGrader(store, KeywordJudge())
    out = run_session(store, bank, store.get_session(sid), src, grader)
    grader.wait()
    back = src.turns[0]
    assert out.finished and back.follow_up is not None and back.follow_up.number == 1
    typed, spent = ("delta, half typed and more", 21.0) if when == "typing" else ("", 0.0)
    assert back.draft == typed
    assert back.seconds_allowed == pytest.approx(f.seconds_allowed - spent)
    assert store.get_session(sid).elapsed_seconds == pytest.approx(30 + spent + 4 + 1 + 1, abs=0.5)
    (f,) = store.follow_up_turns(sid, 0)
    assert f.answer == "delta, finished" and f.seconds_used == pytest.approx(spent + 4)


def test_a_crash_between_the_answer_and_its_follow_up_asks_the_same_follow_up_on_resume(tmp_path):
    bank = ladder_bank(2)
    store = Store.open(tmp_path)
    s = _session(store, bank)

    class DiesBeforeTheFollowUp(ListSource):
        def ask(self, turn):
            if turn.follow_up is not None:
                raise KeyboardInterrupt  # the terminal closed as the follow-up appeared
            return super().ask(turn)

    with pytest.raises(KeyboardInterrupt):
        run_session(store, bank, s, DiesBeforeTheFollowUp([Reply("alpha", 30.0)]), BackgroundGrader(store, KeywordJudge()))
    src = ListSource([Reply("delta", 3.0), Reply("beta", 1.0), Reply("gamma", 1.0)])
    out = run_session(store, bank, store.get_session(s.id), src, BackgroundGrader(store, KeywordJudge()))
    assert out.finished
    assert [(t.position, t.follow_up.number if t.follow_up else 0) for t in src.turns] == [(0, 1), (1, 0), (1, 1)]
    assert [f.follow_up_id for f in store.follow_up_turns(s.id, 0)] == ["f-trade"]  # p2 missed: probed


def test_with_an_llm_judge_follow_ups_are_chosen_from_the_offline_verdict_without_waiting(tmp_path):
    """The model's verdict of the main answer is not waited for: the offline judge's verdict of the
    same answer chooses (here the model never answers before the follow-up is asked)."""
    import threading

    bank = ladder_bank(1)
    store = Store.open(tmp_path)
    s = _session(store, bank)
    gate = threading.Event()
    slow = CountingJudge(gate)  # an LLM judge stuck on the first answer

    class Checks(ListSource):
        def ask(self, turn):
            if turn.follow_up is not None:
                assert slow.calls == 0  # nothing graded yet
            return super().ask(turn)

    src = Checks([Reply("Alpha is the answer.", 30.0), Reply("delta", 3.0)])
    grader = BackgroundGrader(store, slow)
    out = run_session(store, bank, s, src, grader)
    gate.set()
    grader.wait()
    assert out.finished and src.turns[1].follow_up is not None
    (a,) = store.attach_follow_ups(store.answers(s.id))
    assert a.verdict is not None and a.follow_ups[0].verdict is not None  # both graded by the LLM judge, afterwards
    assert slow.calls == 2


def test_a_follow_up_left_ungraded_by_a_crash_is_graded_on_resume(tmp_path):
    bank = ladder_bank(2)
    store = Store.open(tmp_path)
    s = _session(store, bank)
    gate = __import__("threading").Event()  # grading never finishes before the "crash"
    run_session(store, bank, s, ListSource([Reply("alpha beta", 3.0), Reply("delta", 2.0), None]),
                BackgroundGrader(store, CountingJudge(gate)))
    assert store.follow_up_turns(s.id)[0].verdict is None
    grader = BackgroundGrader(store, KeywordJudge())
    run_session(store, bank, store.get_session(s.id), ListSource([Reply("beta", 1.0), Reply("gamma", 1.0)]), grader)
    grader.wait()
    assert all(f.verdict is not None for f in store.follow_up_turns(s.id))
    gate.set()
