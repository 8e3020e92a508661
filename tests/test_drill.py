"""Drill selection (weak topics preferred, due reviews included, no repeats, seeded) and the
"Done when" of the drill issue, end to end through the real CLI and the bundled bank."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interviewer.cli import app
from interviewer.drill import select_drill
from interviewer.errors import UserError
from tests.helpers import synthetic_bank
from tests.history_helpers import T0, answer, history

BANK = synthetic_bank({"attn": 12, "rag": 12, "moe": 12})
NOW = T0 + timedelta(days=3)


def weak_attn_history():
    return history([[(f"attn-{i:02d}", 1.5), (f"rag-{i:02d}", 9.0), (f"moe-{i:02d}", 8.5)] for i in range(3)],
                   days_between=0.01)


def test_weak_topic_preferred_with_reasons():
    _, answers = weak_attn_history()
    picks = select_drill(BANK, answers, count=5, seed=1, now=T0 + timedelta(hours=2))
    assert len(picks) == len({p.question_id for p in picks}) == 5
    assert sum(p.topic == "attn" for p in picks) >= 4
    assert all(p.reason for p in picks)
    assert any(p.reason.startswith("weak topic: attn") for p in picks)


def test_due_reviews_are_included():
    _, answers = weak_attn_history()
    later = T0 + timedelta(days=200)  # everything is due by now
    picks = select_drill(BANK, answers, count=5, seed=1, now=later)
    due = [p for p in picks if p.kind == "due"]
    assert 1 <= len(due) <= 2  # at most 40% of the slots
    assert all(p.reason.startswith("due for review") for p in due)
    assert any("missed key point" in p.reason for p in due if p.topic == "attn")


def test_strong_topic_review_is_due_and_kept():
    answers = [answer("s0", 0, "rag-00", 9.5, T0 - timedelta(days=60))]
    answers += [answer("s1", i, f"attn-{i:02d}", 2.0, NOW - timedelta(hours=1)) for i in range(3)]
    picks = select_drill(BANK, answers, count=4, seed=2, now=NOW)
    assert "rag-00" in [p.question_id for p in picks]
    assert sum(p.topic == "attn" for p in picks) == 3


def test_deterministic_with_seed():
    _, answers = weak_attn_history()
    one = [p.question_id for p in select_drill(BANK, answers, count=5, seed=7, now=NOW)]
    assert one == [p.question_id for p in select_drill(BANK, answers, count=5, seed=7, now=NOW)]
    others = {tuple(p.question_id for p in select_drill(BANK, answers, count=5, seed=s, now=NOW)) for s in range(8)}
    assert len(others) > 1


def test_topic_filter_and_running_out():
    _, answers = weak_attn_history()
    picks = select_drill(BANK, answers, count=30, topics=["moe"], seed=1, now=NOW)
    assert {p.topic for p in picks} == {"moe"}
    # every unseen moe question once; the three answered ones covered every key point and are not
    # due yet (Easy), so they are left to the scheduler
    assert len(picks) == len({p.question_id for p in picks}) == 9
    assert not {"moe-00", "moe-01", "moe-02"} & {p.question_id for p in picks}


def test_missed_key_points_are_reasked_once_unseen_run_out():
    answers = [answer("s0", i, f"attn-{i:02d}", 1.5, T0) for i in range(3)]
    answers.append(answer("s0", 3, "rag-00", 9.0, T0))
    just_after = T0 + timedelta(seconds=10)  # before the first learning step: nothing is due
    picks = select_drill(BANK, answers, count=12, topics=["attn"], seed=1, now=just_after)
    kinds = Counter(p.kind for p in picks)
    assert kinds["weak"] == 9 and kinds["missed"] == 3
    assert all("missed key point: point p2" in p.reason for p in picks if p.kind == "missed")


def test_no_history_and_unknown_topic_are_user_errors():
    with pytest.raises(UserError, match="run `interviewer start` first"):
        select_drill(BANK, [], count=5)
    _, answers = weak_attn_history()
    with pytest.raises(UserError, match="known topics"):
        select_drill(BANK, answers, topics=["nope"])


# -- Done when -----------------------------------------------------------------------------------

ENV = {"INTERVIEWER_BANK": "", "INTERVIEWER_JUDGE_MODEL": None, "COLUMNS": "200"}


def cli(*args: str):
    res = CliRunner().invoke(app, list(args), env=ENV)
    assert res.exit_code == 0, (res.output, res.exception)
    return res.stdout


def write_jsonl(path: Path, lines: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8")
    return path


def test_done_when_three_sessions_then_drill_and_progress(tmp_path):
    bank = json.loads(cli("bank", "list", "--json"))
    by_topic: dict[str, list[dict]] = {}
    for q in bank:
        by_topic.setdefault(q["topic"], []).append(q)
    weak, *strong = [t for t in sorted(by_topic) if len(by_topic[t]) >= 8][:3]
    data = str(tmp_path / "data")
    for k in range(3):  # three sessions: two questions per topic, the weak topic answered badly
        lines = []
        for t in (weak, *strong):
            for q in by_topic[t][2 * k: 2 * k + 2]:
                text = "I am not sure, something about matrices." if t == weak else q["reference_answer"]["en"]
                lines.append({"answer": text, "question_id": q["id"], "seconds": 60})
        cli("start", "--count", str(len(lines)), "--answers", str(write_jsonl(tmp_path / f"s{k}.jsonl", lines)),
            "--data-dir", data)
    drill_answers = write_jsonl(tmp_path / "drill.jsonl", [{"answer": "attention", "seconds": 30}] * 5)
    out = cli("drill", "--count", "5", "--seed", "1", "--answers", str(drill_answers), "--data-dir", data)
    assert "why it was chosen" in out and f"weak topic: {weak}" in out
    reports = sorted((Path(data) / "reports").glob("*.json"), key=lambda p: p.stat().st_mtime)
    report = json.loads(reports[-1].read_text(encoding="utf-8"))
    assert report["settings"]["mode"] == "drill" and len(report["questions"]) == 5
    assert sum(q["topic"] == weak for q in report["questions"]) >= 3
    assert all(q["chosen_because"] for q in report["questions"])
    assert len(report["trend"]) == 4 and report["previous"] is not None

    progress = json.loads(cli("progress", "--json", "--data-dir", data))
    assert progress["topics"][-1]["topic"] == weak
    table = cli("progress", "--data-dir", data)
    rows = [ln for ln in table.splitlines() if any(f" {t} " in ln for t in (weak, *strong))]
    assert f" {weak} " in rows[-1]
    hist = json.loads(cli("history", "--json", "--data-dir", data))
    assert [h["mode"] for h in hist] == ["start", "start", "start", "drill"]
