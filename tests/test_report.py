"""Report v2 content, checked through its JSON form, plus the escaping that keeps a hostile
answer inert in HTML and Markdown."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest

from reports.records import AnswerRecord, SessionRecord, SessionSettings
from reports.report import History, build_report, highlight, render
from rubrics.verdict import Credit, Flag, KeyPointVerdict, MisconceptionHit, Usage, Verdict
from tests.helpers import make_question
from tests.history_helpers import T0, history

HOSTILE = 'Scaling keeps <script>alert("x")</script> softmax stable & ```\n````py\nrm -rf /\n````\nvariance grows'


def bank():
    qs = [make_question("attn-00", "attn", "easy", [("p1", ["softmax"]), ("p2", ["variance"]), ("p3", ["kv cache"])]),
          make_question("attn-01", "attn", "hard"), make_question("rag-00", "rag", "medium"),
          make_question("rag-01", "rag", "easy")]
    for q in qs:
        q.follow_ups.append(q.text.model_copy(update={"en": f"And then, for {q.id}?"}))
    return {q.id: q for q in qs}


def hostile_verdict() -> Verdict:
    return Verdict(
        question_id="attn-00", judge="llm", model="openai/test", prompt_version="grade-v3",
        key_points=[
            KeyPointVerdict(id="p1", text="softmax stays stable", weight=2, credit=Credit.full,
                            evidence='<script>alert("x")</script> softmax stable'),
            KeyPointVerdict(id="p2", text="variance grows with d_k", credit=Credit.partial, evidence="variance grows"),
            KeyPointVerdict(id="p3", text="kv cache", credit=Credit.none),
        ],
        misconceptions=[MisconceptionHit(id="m1", text="scaling changes the ranking", penalty=1.0, evidence="rm -rf /")],
        feedback="Say why the variance grows.", flags=[Flag(kind="manipulation", detail="instructions to the grader")],
        usage=Usage(prompt_tokens=1200, completion_tokens=300, cost_usd=0.0021, calls=1),
    )


def session_and_answers(start=T0):
    s = SessionRecord(id="cur", created_at=start, finished_at=start + timedelta(minutes=20), status="finished",
                      settings=SessionSettings(count=4, minutes=20, mode="drill"),
                      plan=["attn-00", "rag-00", "attn-01", "rag-01"], reasons={"attn-00": "weak topic: attn"})
    answers = [
        AnswerRecord(session_id="cur", position=0, question_id="attn-00", answer=HOSTILE, seconds_used=300,
                     seconds_allowed=300, ended="timed_out", submitted_at=start, verdict=hostile_verdict()),
        AnswerRecord(session_id="cur", position=1, question_id="rag-00", answer="alpha beta", seconds_used=100,
                     seconds_allowed=400, submitted_at=start,
                     verdict=Verdict(question_id="rag-00", key_points=[
                         KeyPointVerdict(id="p1", credit=Credit.full, evidence="alpha"),
                         KeyPointVerdict(id="p2", credit=Credit.full, evidence="beta")])),
        AnswerRecord(session_id="cur", position=2, question_id="attn-01", answer="alpha", seconds_used=20,
                     seconds_allowed=480, submitted_at=start, verdict=Verdict.ungraded("attn-01", "judge error: timeout")),
    ]  # rag-01 never reached
    return s, answers


@pytest.fixture
def report():
    past_sessions, past_answers = history([[("attn-00", 2.0), ("rag-00", 6.0)], [("rag-01", 7.0)]],
                                          start=T0 - timedelta(days=5))
    s, answers = session_and_answers()
    future, future_answers = history([[("rag-01", 10.0)]], start=T0 + timedelta(days=2))
    for x in future:
        x.id = "future"
    for a in future_answers:
        a.session_id = "future"
    h = History([*past_sessions, s, *future], [*past_answers, *answers, *future_answers])
    return build_report(s, answers, bank(), history=h)


def test_json_keeps_v1_fields_and_adds_v2(report):
    r = json.loads(render(report, "json"))
    assert r["session_id"] == "cur" and r["report_version"] == 2
    q0 = r["questions"][0]
    assert {"id", "topic", "difficulty", "answer", "score", "max_score", "status", "key_points"} <= set(q0)
    assert q0["answer"] == HOSTILE and q0["chosen_because"] == "weak topic: attn"
    assert [k["credit"] for k in q0["key_points"]] == ["full", "partial", "none"]
    assert q0["misconceptions"][0]["evidence"] == "rm -rf /"
    assert q0["reference_answer"] and q0["follow_ups"] == ["And then, for attn-00?"]
    # overall: graded 2 + not reached 1 (as 0); the ungraded one is left out
    s0 = (2 * 1 + 0.5) / 4 * 10 - 1
    assert r["overall_score"] == pytest.approx((s0 + 10 + 0) / 3, abs=0.01)
    assert {d["difficulty"]: d["questions"] for d in r["difficulties"]} == {"easy": 2, "medium": 1, "hard": 1}
    assert r["time"]["timed_out"] == 1 and r["time"]["not_reached"] == 1 and r["time"]["advice"]


def test_history_sections(report):
    r = json.loads(render(report, "json"))
    assert [t["session_id"] for t in r["trend"]] == ["s000", "s001", "cur"]  # later sessions left out
    assert r["trend"][-1]["score"] == r["overall_score"]
    assert r["previous"]["previous_session_id"] == "s001" and r["previous"]["previous_score"] == 7.0
    assert r["previous"]["delta"] == pytest.approx(r["overall_score"] - 7.0, abs=0.01)
    assert [t["topic"] for t in r["previous"]["topics"]] == ["rag"]
    study = {t["topic"]: t for t in r["study_next"]}
    assert "attn" in study
    p3 = [p for p in study["attn"]["points"] if p["key_point_id"] == "p3"]
    assert p3 and p3[0]["text"] == "kv cache"
    assert r["drill_command"].startswith("interviewer drill --topic attn")


def test_judge_usage_and_flags(report):
    r = json.loads(render(report, "json"))
    assert set(r["usage"]["judges"]) == {"llm:openai/test", "offline"}
    assert r["usage"]["prompt_versions"] == ["grade-v3"]
    assert r["usage"]["prompt_tokens"] == 1200 and r["usage"]["cost_usd"] == pytest.approx(0.0021)
    kinds = {(f["position"], f["kind"]) for f in r["flagged"]}
    assert kinds == {(1, "manipulation"), (3, "ungraded")}


def test_html_escapes_the_answer_and_marks_evidence(report):
    page = render(report, "html")
    assert "<script>" not in page and "alert(" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    for section in ("overview", "topics", "difficulty", "time", "progress", "coverage", "study-next", "questions",
                    "flagged", "judge"):
        assert f'id="{section}"' in page
    assert page.count('<article class="card question"') == 4
    pre = re.search(r'<pre class="answer">(.*?)</pre>', page, re.S).group(1)
    assert '<mark class="ev full" data-kp="1">&lt;script&gt;' in pre
    assert '<mark class="ev partial" data-kp="2">variance grows</mark>' in pre
    assert '<mark class="ev mis" data-kp="!">rm -rf /</mark>' in pre
    assert html.unescape(re.sub(r"</?mark[^>]*>", "", pre)) == HOSTILE  # exactly as typed


def test_highlight_tolerates_missing_overlapping_and_repeated_evidence(report):
    q = report.questions[0].model_copy(deep=True)
    q.key_points[1].evidence = "not in the answer"
    q.key_points[2].evidence, q.key_points[2].credit = "softmax", "full"  # inside p1's span
    out = str(highlight(q))
    assert out.count("<mark") == 2
    assert html.unescape(re.sub(r"</?mark[^>]*>", "", out)) == HOSTILE


def test_markdown_fences_survive_backticks(report):
    md = render(report, "md")
    lines = md.splitlines()
    start = lines.index("`````text")  # longer than the longest backtick run in the answer
    end = lines.index("`````", start + 1)
    assert "\n".join(lines[start + 1:end]) == HOSTILE
    outside = "\n".join(lines[:start] + lines[end + 1:])
    for raw in re.findall(r".*<script>.*", outside):  # evidence quoted outside the fence: inline code
        assert re.search(r"(`+) [^`]*<script>.*? \1", raw), raw
    for heading in ("## By topic", "## By difficulty", "## Time management", "## Progress", "## Key-point coverage",
                    "## What to study next", "## Questions", "## Flagged answers", "## Judge"):
        assert heading in md


def test_first_session_report_without_history():
    s, answers = session_and_answers()
    r = build_report(s, answers, bank())
    assert len(r.trend) == 1 and r.previous is None
    page = render(r, "html")
    assert "first session" in page and page.count('<article class="card question"') == 4
