"""Follow-ups through the real `interviewer` command, with the bundled bank and the offline judge:
scripted interviews answer them, the follow-ups asked depend on the answer, the JSON, Markdown and
HTML reports carry the thread, and --follow-ups, config.toml and regrade handle them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from question_bank.loader import load_bank

pytestmark = pytest.mark.timeout(300)


def script(tmp_path: Path, lines: list[dict], name: str = "answers.jsonl") -> str:
    p = tmp_path / name
    p.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8")
    return str(p)


def report(cli, data: Path) -> dict:
    code, out, err = cli("report", "latest", "--format", "json", "--output", "-", "--data-dir", str(data))
    assert code == 0, err
    return json.loads(out)


def test_a_scripted_interview_asks_answers_and_grades_one_follow_up_per_question(cli, tmp_path):
    lines = [{"answer": "It depends on the data and the compute budget.",
              "follow_up_answers": [f"My follow-up answer {i}: it trades memory for speed."]} for i in range(3)]
    code, out, err = cli("start", "--count", "3", "--seed", "5", "--follow-ups", "1", "--answers", script(tmp_path, lines),
                         "--data-dir", str(tmp_path / "d"))
    assert code == 0, err
    assert "follow-ups" in out and "70% its answer and 30% its follow-ups" in " ".join(out.split())
    r = report(cli, tmp_path / "d")
    assert r["report_version"] == 3 and r["settings"]["follow_ups"] == 1
    assert r["score_weights"] == {"main": 0.7, "follow_ups": 0.3}
    bank = load_bank()
    for i, q in enumerate(r["questions"]):
        (f,) = q["follow_ups"]
        assert {"question", "answer", "score", "max_score", "status", "level", "key_points"} <= set(f)
        assert f["answer"] == lines[i]["follow_up_answers"][0] and f["status"] == "graded" and f["max_score"] == 10
        ladder = {x.id: x for x in bank.get(q["id"]).follow_ups}
        assert f["question"] == ladder[f["id"]].text.en and f["level"] == ladder[f["id"]].level
        assert [k["id"] for k in f["key_points"]] == [k.id for k in ladder[f["id"]].rubric.key_points]
        assert q["suggested_follow_ups"] == [x.text.en for x in ladder.values() if x.id != f["id"]]
        assert q["score"] == pytest.approx(0.7 * q["main_score"] + 0.3 * f["score"], abs=0.01)
    assert r["overall_score"] == pytest.approx(sum(q["score"] for q in r["questions"]) / 3, abs=0.01)
    md = (tmp_path / "d" / "reports" / f"{r['session_id']}.md").read_text(encoding="utf-8")
    page = (tmp_path / "d" / "reports" / f"{r['session_id']}.html").read_text(encoding="utf-8")
    for q in r["questions"]:
        f = q["follow_ups"][0]
        assert f"#### Follow-up 1 · " in md and f"> {f['question']}" in md and f["answer"] in md
        assert f'id="q{q["position"]}-f1"' in page and f["answer"] in page


def _pinned_questions() -> list:
    """Three questions of different topics, the first of each by id: no choice tuned to the outcome."""
    bank = load_bank()
    return [min((q for q in bank.questions.values() if q.topic == t), key=lambda q: q.id)
            for t in ("attention", "rag", "quantization")]


def test_the_follow_ups_asked_depend_on_the_answer(cli, tmp_path):
    qs = _pinned_questions()
    asked = {}
    for kind in ("idk", "reference"):
        lines = [{"question_id": q.id, "answer": "I don't know" if kind == "idk" else q.reference_answer.en,
                  "follow_up_answers": ["I don't know"]} for q in qs]
        code, _, err = cli("start", "--count", "3", "--follow-ups", "1", "--answers", script(tmp_path, lines, f"{kind}.jsonl"),
                           "--data-dir", str(tmp_path / kind))
        assert code == 0, err
        r = report(cli, tmp_path / kind)
        assert [q["id"] for q in r["questions"]] == [q.id for q in qs]
        asked[kind] = [q["follow_ups"][0]["id"] for q in r["questions"]]
        reasons = [q["follow_ups"][0]["why"] for q in r["questions"]]
        if kind == "idk":  # nothing covered: each follow-up probes a missed point
            assert all(w.startswith("probes a point the answer missed") for w in reasons), reasons
    assert sum(a != b for a, b in zip(asked["idk"], asked["reference"])) >= 2, asked


def test_follow_ups_off_and_from_the_config_file(cli, tmp_path, monkeypatch):
    lines = [{"answer": "Attention mixes values by query-key similarity.", "follow_up_answers": ["first", "second"]}]
    code, _, err = cli("start", "--count", "1", "--seed", "2", "--follow-ups", "0", "--answers", script(tmp_path, lines),
                       "--data-dir", str(tmp_path / "off"))
    assert code == 0, err
    assert report(cli, tmp_path / "off")["questions"][0]["follow_ups"] == []
    config = tmp_path / "config.toml"
    config.write_text("[interview]\nfollow_ups = 2\n", encoding="utf-8")
    monkeypatch.setenv("INTERVIEWER_CONFIG", str(config))
    code, _, err = cli("start", "--count", "1", "--seed", "2", "--answers", script(tmp_path, lines),
                       "--data-dir", str(tmp_path / "two"))
    assert code == 0, err
    r = report(cli, tmp_path / "two")
    assert [f["answer"] for f in r["questions"][0]["follow_ups"]] == ["first", "second"]
    assert r["settings"]["minutes"] > report(cli, tmp_path / "off")["settings"]["minutes"]  # follow-ups add time
    code, _, err = cli("start", "--count", "1", "--seed", "2", "--follow-ups", "1", "--answers", script(tmp_path, lines),
                       "--data-dir", str(tmp_path / "one"))
    assert code == 0, err
    assert len(report(cli, tmp_path / "one")["questions"][0]["follow_ups"]) == 1  # the command line wins
    bad = tmp_path / "bad.toml"  # a new file: the config is read once per path and process
    bad.write_text("[interview]\nfollow_ups = 9\n", encoding="utf-8")
    monkeypatch.setenv("INTERVIEWER_CONFIG", str(bad))
    code, _, err = cli("start", "--count", "1", "--answers", script(tmp_path, lines), "--data-dir", str(tmp_path / "bad"))
    assert code == 1 and len(err.strip().splitlines()) == 1 and "interview.follow_ups" in err and "Traceback" not in err


def test_a_bad_follow_up_answers_line_is_one_clear_error(cli, tmp_path):
    path = script(tmp_path, [{"answer": "x", "follow_up_answers": "not a list"}])
    code, _, err = cli("start", "--count", "1", "--answers", path, "--data-dir", str(tmp_path / "d"))
    assert code == 1 and err.count("\n") == 1 and f"{path}:1: follow_up_answers" in err


def test_regrade_grades_follow_ups_too(cli, tmp_path):
    lines = [{"answer": "Attention mixes values by query-key similarity.", "follow_up_answers": ["It costs memory."]}]
    code, _, err = cli("start", "--count", "1", "--seed", "2", "--answers", script(tmp_path, lines),
                       "--data-dir", str(tmp_path / "d"))
    assert code == 0, err
    code, out, err = cli("regrade", "latest", "--all", "--json", "--data-dir", str(tmp_path / "d"))
    assert code == 0, err
    rows = json.loads(out)["regraded"]
    assert [r["follow_up"] for r in rows] == [None, 1] and all(r["status"] == "graded" for r in rows)


def test_resume_can_change_the_follow_ups_for_the_questions_left(cli, tmp_path):
    from interviewer.session import create_session
    from interviewer.store import Store
    from reports.records import SessionSettings

    bank = load_bank()
    plan = [min(bank.questions)]
    store = Store.open(tmp_path / "d")
    s = create_session(store, SessionSettings(count=1, minutes=5, follow_ups=1), plan)
    store.close()
    answers = script(tmp_path, [{"answer": "Something.", "follow_up_answers": ["more"]}])
    code, _, err = cli("resume", s.id, "--follow-ups", "0", "--answers", answers, "--data-dir", str(tmp_path / "d"))
    assert code == 0, err
    r = report(cli, tmp_path / "d")
    assert r["settings"]["follow_ups"] == 0 and r["questions"][0]["follow_ups"] == [] and r["status"] == "finished"


def test_every_bundled_follow_up_is_a_gradable_question():
    from rubrics.offline import OfflineJudge

    judge = OfflineJudge()
    q = load_bank().get("attention-mha-mqa-gqa")
    for fu in q.follow_ups:
        asked = q.follow_up_question(fu)
        assert asked.id == f"{q.id}~{fu.id}" and asked.rubric is fu.rubric and asked.topic == q.topic
        assert judge.grade(asked, fu.reference_answer.en).score >= 7  # its own reference answer scores well
