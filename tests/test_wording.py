"""The small things a new user reads: counts with the right plural, minutes as given, titles that
say what is shown, help on every option, refused languages, the report's coverage and missed
labels telling the same story, and the judge options every interview command takes."""

from __future__ import annotations

import json
import re

import pytest

from reports.labels import plural
from reports.records import AnswerRecord, SessionRecord, SessionSettings
from reports.report import History, build_report, render
from rubrics.verdict import Credit, KeyPointVerdict, Verdict
from tests.helpers import make_question
from tests.history_helpers import T0, history


def test_plural():
    assert [plural(1, "question"), plural(3, "question"), plural(0, "answer")] == ["1 question", "3 questions", "0 answers"]
    assert plural(1.5, "minute") == "1.5 minutes" and plural(15.0, "minute") == "15 minutes"


def test_history_limit_title_and_drill_title(tmp_path, cli):
    answers = tmp_path / "a.jsonl"
    answers.write_text(json.dumps({"answer": "attention is softmax of scaled dot products"}) + "\n")
    data = str(tmp_path / "d")
    for seed in range(3):
        assert cli("start", "-n", "1", "--seed", str(seed), "--answers", str(answers), "--data-dir", data)[0] == 0
    code, out, _ = cli("history", "--limit", "2", "--data-dir", data)
    assert code == 0 and "Newest 2 of 3 sessions" in out
    code, out, _ = cli("history", "--data-dir", data)
    assert "3 sessions" in out and "session(s)" not in out
    code, out, err = cli("drill", "--count", "1", "--minutes", "1.5", "--answers", str(answers), "--data-dir", data)
    assert code == 0, err
    assert "Drill: 1 question, 1.5 minutes" in out and "(s)" not in out


def test_interview_commands_take_every_judge_option(cli):
    for command, options in (("start", ("--timeout", "--router-config", "--samples")),
                             ("drill", ("--timeout", "--router-config", "--samples")),
                             ("resume", ("--timeout", "--router-config", "--samples"))):
        code, out, _ = cli(command, "--help")
        assert code == 0 and all(o in out for o in options), (command, out)


def test_timeout_is_kept_with_the_session(tmp_path, cli):
    answers = tmp_path / "a.jsonl"
    answers.write_text(json.dumps({"answer": "x"}) + "\n")
    data = str(tmp_path / "d")
    assert cli("start", "-n", "1", "--timeout", "7", "--answers", str(answers), "--data-dir", data)[0] == 0
    code, out, _ = cli("report", "latest", "-f", "json", "-o", "-", "--data-dir", data)
    assert json.loads(out)["settings"]["timeout"] == 7.0


def test_bank_options_have_help_and_show_refuses_other_languages(cli):
    for args, needles in ((("bank", "show", "--help"), ("Question id", "en or zh", "Machine-readable")),
                          (("bank", "list", "--help"), ("easy, medium or hard", "Machine-readable")),
                          (("bank", "stats", "--help"), ("Machine-readable",)),
                          (("bank", "schema", "--help"), ("File to write",))):
        code, out, _ = cli(*args)
        assert code == 0 and all(n in " ".join(out.split()) for n in needles), (args, out)
    code, out, err = cli("bank", "show", "attention-mha-mqa-gqa", "--lang", "fr")
    assert code == 1 and out == "" and err == "error: --lang 'fr' is not supported; use en or zh\n"
    code, out, _ = cli("bank", "show", "attention-mha-mqa-gqa", "--lang", "zh")
    assert code == 0 and re.search(r"[\u4e00-\u9fff]", out)


def _question_with_partials():
    q = make_question("attn-00", "attn", "easy", [("p1", ["softmax"]), ("p2", ["variance"])])
    q.rubric.key_points[0].weight = 1.6
    v = Verdict(question_id="attn-00", key_points=[
        KeyPointVerdict(id="p1", weight=1.6, credit=Credit.full, evidence="softmax"),
        KeyPointVerdict(id="p2", weight=1.0, credit=Credit.partial, evidence="variance")])
    s = SessionRecord(id="s", created_at=T0, status="finished", settings=SessionSettings(count=3), plan=["attn-00"])
    a = AnswerRecord(session_id="s", position=0, question_id="attn-00", answer="softmax and variance",
                     submitted_at=T0, verdict=v)
    return build_report(s, [a], {q.id: q})


def test_partly_covered_points_are_not_called_every_key_point_covered():
    html = render(_question_with_partials(), "html")
    assert "Nothing missed entirely, but 1 point only partly covered" in html
    assert "every key point covered" not in html


def test_html_chart_and_markdown_table_show_the_same_coverage():
    r = _question_with_partials()
    assert r.questions[0].coverage_percent == (62, 38, 0, 81)
    assert "| Q1 | 62% | 38% | 0% | 81% |" in render(r, "md")
    html = render(r, "html")
    assert ">81%</text>" in html and "62% covered" in html and "38% partly covered" in html


def test_a_session_without_answers_shows_no_change_against_the_previous_one():
    sessions, answers = history([[("attn-00", 6.0)]])
    q = make_question("attn-00", "attn")
    empty = SessionRecord(id="empty", created_at=T0.replace(day=5), status="finished",
                          settings=SessionSettings(count=1), plan=["attn-00"])
    r = build_report(empty, [], {q.id: q}, history=History([*sessions, empty], answers))
    assert r.overall_score is None and r.previous is not None and r.previous.delta is None
    md = render(r, "md")
    assert "vs previous" not in md and "-6.0" not in md and "1 question never reached" in md
