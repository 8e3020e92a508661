"""Analytics on synthetic histories: the weak topic is found, one bad answer does not dominate,
recent answers count more, and the export carries every answer and verdict."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import pytest
from typer.testing import CliRunner

from interviewer.cli import app
from interviewer.session import create_session
from interviewer.store import Store
from reports import analytics as an
from reports.records import SessionSettings
from tests.helpers import synthetic_bank
from tests.history_helpers import T0, answer, history

BANK = synthetic_bank({"attn": 10, "rag": 10, "moe": 10, "peft": 10})


def mastery(sessions, answers, **kw):
    df = an.answers_frame(answers, BANK.questions, sessions)
    return an.topic_mastery(df, **kw).set_index("topic")


def test_consistently_weak_topic_is_at_the_bottom():
    spec = [[(f"attn-{i:02d}", 2.0), (f"rag-{i:02d}", 8.0), (f"moe-{i:02d}", 7.5)] for i in range(4)]
    m = mastery(*history(spec))
    assert list(m.index)[-1] == "attn"
    assert m.loc["attn", "mastery"] < m.loc["moe", "mastery"] < m.loc["rag", "mastery"]
    assert m.loc["attn", "answers"] == 4


def test_a_single_bad_answer_does_not_dominate():
    # peft: one 0 (the latest answer of all); attn: five answers of 2. A plain mean would put peft
    # at the bottom; and one 0 among good rag answers leaves rag a strong topic.
    spec = [[(f"attn-{i:02d}", 2.0), (f"rag-{i:02d}", 8.0)] for i in range(5)] + [[("rag-05", 0.0), ("peft-00", 0.0)]]
    m = mastery(*history(spec))
    assert m.loc["peft", "mean"] < m.loc["attn", "mean"]
    assert m.loc["peft", "mastery"] > m.loc["attn", "mastery"]
    assert list(m.index)[-1] == "attn"
    assert m.loc["rag", "mastery"] > 5.5 and list(m.index)[0] == "rag"


def test_shrinkage_formula():
    sessions, answers = history([[("attn-00", 2.0), ("rag-00", 8.0), ("rag-01", 8.0)]], days_between=0)
    m = mastery(sessions, answers, half_life_days=1e9)  # equal weights
    mu = (2 + 8 + 8) / 3
    assert m.loc["attn", "mastery"] == pytest.approx((2 + 3 * mu) / (1 + 3))
    assert m.loc["rag", "mastery"] == pytest.approx((16 + 3 * mu) / (2 + 3))


def test_recent_answers_weigh_more():
    # attn: bad long ago, good lately; moe: the reverse. Same plain mean.
    spec = [[("attn-00", 1.0), ("moe-00", 9.0)], [("attn-01", 1.0), ("moe-01", 9.0)],
            [("attn-02", 9.0), ("moe-02", 1.0)], [("attn-03", 9.0), ("moe-03", 1.0)]]
    m = mastery(*history(spec, days_between=30))
    assert m.loc["attn", "mean"] == m.loc["moe", "mean"]
    assert m.loc["attn", "mastery"] > m.loc["moe", "mastery"]
    assert m.loc["attn", "change"] > 0 > m.loc["moe", "change"]


def test_ungraded_answers_are_left_out_and_unknown_questions_kept():
    sessions, answers = history([[("attn-00", 6.0), ("attn-01", None), ("gone-question", 4.0)]])
    df = an.answers_frame(answers, BANK.questions, sessions)
    assert df["status"].tolist().count("ungraded") == 1
    m = an.topic_mastery(df).set_index("topic")
    assert m.loc["attn", "answers"] == 1 and "unknown" in m.index


def test_session_trend_leaves_unreached_questions_out_as_mastery_does():
    sessions, answers = history([[("attn-00", 8.0), ("rag-00", 6.0)], [("attn-01", 4.0)]])
    sessions[1].plan.append("rag-01")  # asked but never reached
    df = an.answers_frame(answers, BANK.questions, sessions)
    t = an.session_trend(df, sessions)
    assert t["score"].tolist() == pytest.approx([7.0, 4.0])
    assert t["answered"].tolist() == [2, 1] and t["questions"].tolist() == [2, 2]
    assert t["mode"].tolist() == ["start", "start"]
    assert an.topic_mastery(df.query("session_id == 's001'"))["mean"].tolist() == [4.0]


def test_most_missed_drops_points_learned_since():
    answers = [answer("s0", 0, "attn-00", 0.0, T0, missed=("p1", "p2")),
               answer("s1", 0, "attn-00", 5.0, T0 + timedelta(days=1), missed=("p2",)),
               answer("s1", 1, "rag-00", 5.0, T0 + timedelta(days=1), missed=("p2",))]
    mm = an.most_missed(an.key_point_frame(answers, BANK.questions))
    rows = {(r.question_id, r.key_point_id): r for r in mm.itertuples()}
    assert ("attn-00", "p1") not in rows  # covered in full by the latest answer
    assert rows[("attn-00", "p2")].misses == 2 and rows[("attn-00", "p2")].asked == 2
    assert mm.iloc[0].question_id == "attn-00"  # missed most often first


def test_export_every_answer_and_verdict(tmp_path):
    store = Store.open(tmp_path)
    s = create_session(store, SessionSettings(count=2), ["attn-00", "rag-00"])
    for a in (answer(s.id, 0, "attn-00", 3.0, T0, text="x, \"quoted\"\nsecond line"), answer(s.id, 1, "rag-00", None, T0)):
        v = a.verdict
        store.save_verdict(store.add_answer(a), v)
    store.close()
    runner = CliRunner()
    env = {"INTERVIEWER_BANK": "", "INTERVIEWER_JUDGE_MODEL": None}
    res = runner.invoke(app, ["export", "--format", "json", "--output", "-", "--data-dir", str(tmp_path)], env=env)
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert [r["question_id"] for r in rows] == ["attn-00", "rag-00"]
    assert rows[0]["answer"] == "x, \"quoted\"\nsecond line" and rows[0]["score"] == 3.0
    assert rows[0]["verdict"]["key_points"][1]["credit"] == "none" and rows[1]["status"] == "ungraded"
    for fmt in ("csv", "parquet"):
        out = tmp_path / f"a.{fmt}"
        res = runner.invoke(app, ["export", "-f", fmt, "-o", str(out), "--data-dir", str(tmp_path)], env=env)
        assert res.exit_code == 0, res.output
        df = pd.read_csv(out) if fmt == "csv" else pd.read_parquet(out)
        assert len(df) == 2 and df.loc[0, "answer"] == rows[0]["answer"]
        assert set(an.ANSWER_COLUMNS) <= set(df.columns)
    res = runner.invoke(app, ["export", "-f", "xml", "--data-dir", str(tmp_path)], env=env)
    assert res.exit_code != 0
