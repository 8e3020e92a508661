"""A parameterised question in real interviews: the row is drawn (seeded, avoiding the one seen
last) before the question is shown, stored with the session and the answer, and every later view
(resume, regrade, the report in each format, export, the LLM judge) sees that same instance. A
database from before variants opens, and its answers render the canonical row."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from interviewer.session import BackgroundGrader, Reply, create_session, run_session
from interviewer.store import DB_NAME, Store
from interviewer.variants import draw_variants
from question_bank.loader import load_bank
from question_bank.variants import row_of, rows, variant
from reports.records import AnswerRecord, SessionSettings
from rubrics.offline import OfflineJudge
from tests.llm_server import Reply as LLMReply
from tests.llm_server import verdict_for

ROOT = Path(__file__).parents[1]
QID = "model-families-llama-param-count"
ROW = "llama-2-13b"


@pytest.fixture(scope="module")
def bank():
    return load_bank()


def script(tmp_path: Path, lines: list[dict]) -> str:
    path = tmp_path / "answers.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8")
    return str(path)


def json_report(cli, data: Path, ref: str = "latest") -> dict:
    code, out, err = cli("report", ref, "--format", "json", "--output", "-", "--data-dir", str(data))
    assert code == 0, err
    return json.loads(out)


def stored(data: Path) -> tuple[list, list]:
    conn = sqlite3.connect(data / DB_NAME)
    try:
        return ([json.loads(r[0]) for r in conn.execute("SELECT variants_json FROM sessions ORDER BY rowid")],
                [r[0] for r in conn.execute("SELECT variant FROM answers ORDER BY id")])
    finally:
        conn.close()


def answer_pinned_row(cli, tmp_path: Path, bank, data: Path | None = None, answer: str | None = None,
                      follow_ups: int = 0) -> Path:
    """A one-question interview asked with ROW (answered with that row's reference by default), in
    ``data`` (default: tmp_path/d)."""
    answer = variant(bank.get(QID), ROW).reference_answer.en if answer is None else answer
    data = data or tmp_path / "d"
    lines = [{"answer": answer, "question_id": QID, "variant": ROW, "follow_up_answers": ["I am not sure."] * follow_ups}]
    code, _, err = cli("start", "--count", "1", "--follow-ups", str(follow_ups), "--answers", script(tmp_path, lines),
                       "--data-dir", str(data))
    assert code == 0, err
    return data


def test_a_pinned_row_is_asked_stored_and_replayed_by_report_regrade_and_export(cli, tmp_path, bank):
    data = answer_pinned_row(cli, tmp_path, bank, follow_ups=2)
    assert stored(data) == ([{"0": ROW}], [ROW])
    r = json_report(cli, data)
    (q,) = r["questions"]
    # the follow-ups asked are the row's, graded against the row's rubric
    asked = {f.id: f for f in variant(bank.get(QID), ROW).follow_ups}
    assert len(q["follow_ups"]) == 2 and all(f["question"] == asked[f["id"]].text.en for f in q["follow_ups"])
    assert "26.0 GB" in asked["flops-vs-bandwidth"].text.en + asked["flops-vs-bandwidth"].reference_answer.en
    assert (q["id"], q["variant"], q["variant_title"]) == (QID, ROW, "LLaMA-2-13B")
    assert "hidden size 5120, 40 layers" in q["question"] and "13.02B" in q["reference_answer"]
    assert q["main_score"] == 10.0  # the row's own reference, checked against the row's numbers
    for fmt in ("md", "html"):
        code, text, err = cli("report", "latest", "--format", fmt, "--output", "-", "--data-dir", str(data))
        assert code == 0 and "LLaMA-2-13B" in text and "hidden size 5120" in text, err
    code, out, err = cli("regrade", "latest", "--all", "--json", "--data-dir", str(data))
    assert code == 0, err
    regraded = json.loads(out)["regraded"]
    assert [row["score"] for row in regraded if row["follow_up"] is None] == [10.0] and len(regraded) == 3
    code, out, err = cli("export", "--format", "json", "--output", "-", "--data-dir", str(data))
    assert code == 0, err
    assert [(a["question_id"], a["variant"]) for a in json.loads(out)] == [(QID, ROW)]
    # history and drill group by the question's id, whatever its row
    code, out, err = cli("history", "--json", "--data-dir", str(data))
    assert code == 0 and QID not in err


def test_a_seeded_session_draws_a_non_canonical_row_and_the_same_seed_draws_it_again(cli, tmp_path, bank):
    seed = next(s for s in range(50) if draw_variants(bank, [QID], s) != {0: rows(bank.get(QID))[0]})
    row = draw_variants(bank, [QID], seed)[0]
    lines = [{"answer": variant(bank.get(QID), row).reference_answer.zh, "question_id": QID}]
    for sub in ("a", "b"):
        code, _, err = cli("start", "--count", "1", "--seed", str(seed), "--lang", "zh", "--follow-ups", "0",
                           "--answers", script(tmp_path, lines), "--data-dir", str(tmp_path / sub))
        assert code == 0, err
        assert stored(tmp_path / sub) == ([{"0": row}], [row])
        (q,) = json_report(cli, tmp_path / sub)["questions"]
        assert q["variant"] == row and q["score"] == 10.0
        assert q["question"] == variant(bank.get(QID), row).text.zh


def test_the_draw_avoids_the_row_seen_last(bank):
    choices = rows(bank.get(QID))
    for seed in range(20):
        first = draw_variants(bank, [QID], seed)[0]
        seen = [AnswerRecord(session_id="s", position=0, question_id=QID, answer="x", variant=first)]
        again = draw_variants(bank, [QID], seed, seen)[0]
        assert again != first and again in choices
    # an answer stored without a row saw the canonical one
    old = [AnswerRecord(session_id="s", position=0, question_id=QID, answer="x")]
    assert all(draw_variants(bank, [QID], s, old)[0] != choices[0] for s in range(20))
    assert {draw_variants(bank, [QID], s)[0] for s in range(40)} == set(choices)  # every row comes up
    assert draw_variants(bank, ["attention-masks"], 1) == {}  # a question without params has no row


def test_a_memorised_number_of_the_canonical_row_scores_lower_than_the_rows_own(bank, cli, tmp_path):
    judge = OfflineJudge()
    q = bank.get(QID)
    asked = variant(q, ROW)
    for lang in ("en", "zh"):
        own = judge.grade(asked, asked.reference_answer.get(lang)).score
        memorised = judge.grade(asked, q.reference_answer.get(lang)).score  # the canonical row's numbers
        assert own == 10.0 and memorised < own - 3, (lang, own, memorised)
    # the same through `interviewer grade --variant`
    answer = tmp_path / "a.txt"
    answer.write_text(q.reference_answer.en, encoding="utf-8")
    code, out, err = cli("grade", "--question", QID, "--variant", ROW, "--answer-file", str(answer), "--json")
    assert code == 0, err
    assert json.loads(out)["score"] < 7
    code, out, err = cli("grade", "--question", QID, "--answer-file", str(answer), "--json")  # canonical
    assert code == 0 and json.loads(out)["score"] == 10.0
    code, _, err = cli("grade", "--question", QID, "--variant", "gpt-9", "--answer-file", str(answer))
    assert code == 1 and err.count("\n") == 1 and "has no variant 'gpt-9'; its variants: llama-2-7b" in err


class PauseThenAnswer:
    """Pauses on the first question it is shown, answers it (with the instance's reference) when resumed."""

    def __init__(self) -> None:
        self.shown: list[str] = []

    def ask(self, turn):  # noqa: ANN001, ANN201
        self.shown.append(turn.question.text.en)
        if len(self.shown) == 1:
            return Reply(text="Half typed", seconds_used=3.0, pause=True)
        return Reply(text=turn.question.reference_answer.en, seconds_used=5.0)


def test_resume_shows_the_row_drawn_before_the_pause(tmp_path, bank, cli):
    store = Store.open(tmp_path / "d")
    session = create_session(store, SessionSettings(count=1, minutes=10), [QID], variants={0: ROW})
    source = PauseThenAnswer()
    for _ in range(2):  # the interview, then its resume
        grader = BackgroundGrader(store, OfflineJudge())
        run_session(store, bank, store.get_session(session.id), source, grader)
        grader.wait()
        grader.close()
    store.close()
    expected = variant(bank.get(QID), ROW).text.en
    assert source.shown == [expected, expected]
    (q,) = json_report(cli, tmp_path / "d", session.id)["questions"]
    assert q["variant"] == ROW and q["score"] == 10.0 and q["answer"].startswith("Attention per layer: Q, K, V")


def test_the_llm_judge_is_asked_about_the_instance_the_candidate_saw(cli, tmp_path, bank, llm_server):
    data = answer_pinned_row(cli, tmp_path, bank)  # graded by the offline judge
    llm_server.reset()
    llm_server.set_default(lambda body: LLMReply.json(verdict_for(body, "full", holistic=9)))
    code, out, err = cli("regrade", "latest", "--all", "--json", "--judge", "openai/test-model",
                         "--api-base", llm_server.base_url, "--data-dir", str(data))
    assert code == 0, err
    prompts = [r.prompt_text for r in llm_server.requests]
    assert prompts and all("LLaMA-2-13B" in p and "hidden size 5120" in p and "13.02B" in p for p in prompts)
    assert not any("LLaMA-2-7B" in p for p in prompts)


def test_an_old_database_without_variant_columns_opens_and_renders_the_canonical_row(cli, tmp_path, bank):
    data = tmp_path / "old"
    # a database written by the version before variants (migrations up to follow-ups), with history
    proc = subprocess.run([sys.executable, "-m", "tests.migration_child", str(data), "0", "6", "0"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    conn = sqlite3.connect(data / DB_NAME)
    assert "variant" not in {r[1] for r in conn.execute("PRAGMA table_info(answers)")}
    settings = SessionSettings(count=1, minutes=10).model_dump_json()
    canonical = bank.get(QID)
    with conn:
        conn.execute("INSERT INTO sessions (id, created_at, finished_at, status, settings_json, plan_json, reasons_json,"
                     " elapsed_seconds) VALUES ('s-old', '2024-02-01T00:00:00+00:00', '2024-02-01T00:10:00+00:00',"
                     " 'finished', ?, ?, '{}', 60)", (settings, json.dumps([QID])))
        conn.execute("INSERT INTO answers (session_id, position, question_id, answer, seconds_used, seconds_allowed,"
                     " submitted_at, ended) VALUES ('s-old', 0, ?, ?, 60, 480, '2024-02-01T00:05:00+00:00', 'submitted')",
                     (QID, canonical.reference_answer.en))
    conn.close()
    code, out, err = cli("regrade", "s-old", "--json", "--data-dir", str(data))  # opens, upgrades, grades
    assert code == 0, err
    assert [r["score"] for r in json.loads(out)["regraded"]] == [10.0]
    (q,) = json_report(cli, data, "s-old")["questions"]
    assert q["variant"] == row_of(canonical) == "llama-2-7b" and "hidden size 4096, 32 layers" in q["question"]
    store = Store.open(data)
    try:
        (a,) = store.answers("s-old")
        assert a.variant is None and store.get_session("s-old").variants == {}
        assert {s.id for s in store.list_sessions()} == {"old-session", "s-old"}
    finally:
        store.close()
    # and the next interview on it stores its row
    answer_pinned_row(cli, tmp_path, bank, data, "It has about 13 billion parameters.")
    assert stored(data)[1] == [None, ROW]


def test_a_variant_pin_needs_its_question_and_an_existing_row(cli, tmp_path):
    for line, message in (({"answer": "x", "variant": ROW}, "a variant pins the row of the line's question_id"),
                          ({"answer": "x", "question_id": QID, "variant": "gpt-9"}, "pins variant 'gpt-9' of"),
                          ({"answer": "x", "question_id": "attention-masks", "variant": ROW}, "not parameterised")):
        code, _, err = cli("start", "--count", "1", "--answers", script(tmp_path, [line]),
                           "--data-dir", str(tmp_path / "d"))
        assert code == 1 and "Traceback" not in err and message in err, err
        assert len([ln for ln in err.splitlines() if ln.startswith("error: ")]) == 1
