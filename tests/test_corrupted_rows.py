"""One corrupted row in the history database costs only that row: `history`, `progress`, `export`
and `report` skip it with a one-line warning naming the session, and everything else works."""

from __future__ import annotations

import json
import sqlite3

import pytest

from interviewer.store import DB_NAME


@pytest.fixture
def three_sessions(tmp_path, cli):
    answers = tmp_path / "answers.jsonl"
    answers.write_text(json.dumps({"answer": "Attention weighs values by query-key similarity."}) + "\n")
    data = tmp_path / "data"
    for seed in (1, 2, 3):
        code, _, err = cli("start", "--count", "1", "--seed", str(seed), "--answers", str(answers), "--data-dir", str(data))
        assert code == 0, err
    conn = sqlite3.connect(data / DB_NAME)
    ids = [r[0] for r in conn.execute("SELECT id FROM sessions ORDER BY created_at, rowid")]
    return data, conn, ids


def test_a_corrupted_session_row_is_skipped_with_a_warning(three_sessions, cli):
    data, conn, ids = three_sessions
    with conn:
        conn.execute("UPDATE sessions SET settings_json = '{\"lang\": \"fr\"' WHERE id = ?", (ids[0],))
    for args in (("history",), ("progress",), ("export", "--format", "json", "--output", "-"),
                 ("report", "latest", "--format", "json", "--output", "-"), ("report", ids[1], "--format", "md")):
        code, out, err = cli(*args, "--data-dir", str(data))
        assert code == 0, (args, err)
        assert "internal error" not in err and "Traceback" not in err
        warnings = [ln for ln in err.splitlines() if ln.startswith("warning: ")]
        assert len(warnings) == 1 and ids[0] in warnings[0] and "skipped" in warnings[0], (args, err)
    code, out, _ = cli("history", "--json", "--data-dir", str(data))
    assert [r["session_id"] for r in json.loads(out)] == ids[1:]
    code, _, err = cli("report", ids[0], "--data-dir", str(data))
    assert code == 1 and err.startswith(f"error: session {ids[0]} is corrupted") and len(err.splitlines()) == 1


def test_a_corrupted_answer_or_verdict_row_costs_only_that_row(three_sessions, cli):
    data, conn, ids = three_sessions
    with conn:
        conn.execute("UPDATE answers SET ended = 'exploded' WHERE session_id = ?", (ids[0],))
        conn.execute("UPDATE verdicts SET verdict_json = '{broken' WHERE answer_id IN "
                     "(SELECT id FROM answers WHERE session_id = ?)", (ids[2],))
    code, out, err = cli("report", "latest", "--format", "json", "--output", "-", "--data-dir", str(data))
    assert code == 0, err
    report = json.loads(out)
    assert report["questions"][0]["answer"] and report["questions"][0]["status"] == "pending"  # the answer is kept
    assert any(ids[2] in ln and f"interviewer regrade {ids[2]}" in ln for ln in err.splitlines())
    code, out, err = cli("export", "--format", "json", "--output", "-", "--data-dir", str(data))
    assert code == 0 and {r["session_id"] for r in json.loads(out)} == {ids[1], ids[2]}
    assert any(ln.startswith("warning: ") and ids[0] in ln for ln in err.splitlines())
    code, out, err = cli("regrade", ids[2], "--data-dir", str(data))
    assert code == 0, err
    code, out, err = cli("report", ids[2], "--format", "json", "--output", "-", "--data-dir", str(data))
    assert json.loads(out)["questions"][0]["status"] == "graded"
    warnings = [ln for ln in err.splitlines() if ln.startswith("warning: ")]
    assert len(warnings) == 1 and ids[0] in warnings[0]  # only the broken answer row is left


def test_a_corrupted_follow_up_row_costs_only_that_row(tmp_path, cli):
    answers = tmp_path / "answers.jsonl"
    answers.write_text(json.dumps({"answer": "Attention weighs values by query-key similarity.",
                                   "follow_up_answers": ["It costs memory.", "It breaks on long inputs."]}) + "\n")
    data = tmp_path / "data"
    code, _, err = cli("start", "--count", "1", "--seed", "1", "--follow-ups", "2", "--answers", str(answers),
                       "--data-dir", str(data))
    assert code == 0, err
    conn = sqlite3.connect(data / DB_NAME)
    (sid,) = [r[0] for r in conn.execute("SELECT id FROM sessions")]
    with conn:
        conn.execute("UPDATE follow_up_turns SET ended = 'exploded' WHERE number = 1")
        conn.execute("UPDATE follow_up_turns SET verdict_json = '{broken' WHERE number = 2")
    code, out, err = cli("report", "latest", "--format", "json", "--output", "-", "--data-dir", str(data))
    assert code == 0 and "Traceback" not in err, err
    (q,) = json.loads(out)["questions"]
    assert [(f["number"], f["status"]) for f in q["follow_ups"]] == [(2, "pending")]  # kept, its verdict lost
    warnings = [ln for ln in err.splitlines() if ln.startswith("warning: ")]
    assert len(warnings) == 2 and all(sid in w for w in warnings) and "regrade" in warnings[1]
    code, out, err = cli("regrade", sid, "--json", "--data-dir", str(data))
    assert code == 0, err
    assert [r["follow_up"] for r in json.loads(out)["regraded"]] == [2]
