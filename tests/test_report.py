"""Report v2 content, checked through its JSON form, plus the escaping that keeps a hostile
answer inert in HTML and Markdown."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest

from question_bank.models import FollowUp
from reports.records import AnswerRecord, FollowUpRecord, SessionRecord, SessionSettings
from reports.labels import VALUES_ZH
from reports.report import History, build_report, highlight, render
from rubrics.verdict import MIN_MISCONCEPTION_PENALTY, Credit, Flag, KeyPointVerdict, MisconceptionHit, Usage, Verdict, wrong_claim_cap
from tests.helpers import make_question
from tests.history_helpers import T0, history

HOSTILE = 'Scaling keeps <script>alert("x")</script> softmax stable & ```\n````py\nrm -rf /\n````\nvariance grows'


def bank():
    qs = [make_question("attn-00", "attn", "easy", [("p1", ["softmax"]), ("p2", ["variance"]), ("p3", ["kv cache"])]),
          make_question("attn-01", "attn", "hard"), make_question("rag-00", "rag", "medium"),
          make_question("rag-01", "rag", "easy")]
    for q in qs:
        q.follow_ups.append(FollowUp(id="f1", text=q.text.model_copy(update={"en": f"And then, for {q.id}?"})))
    rag = qs[2]  # its thread: two follow-ups with rubrics of their own
    rag.follow_ups[0] = FollowUp.model_validate({
        "id": "f1", "level": "trade_off", "targets": ["p2"], "text": {"en": "What does retrieval cost?", "zh": "检索的代价是什么？"},
        "reference_answer": {"en": "Latency and index memory.", "zh": "延迟和索引内存。"},
        "rubric": {"key_points": [{"id": "latency", "text": {"en": "Adds latency", "zh": "增加延迟"}, "weight": 1},
                                  {"id": "memory", "text": {"en": "Index memory", "zh": "索引占内存"}, "weight": 1}]}})
    rag.follow_ups.append(FollowUp.model_validate({
        "id": "f2", "level": "failure_modes", "text": {"en": "When does it break?", "zh": "什么时候会失效？"},
        "rubric": {"key_points": [{"id": "stale", "text": {"en": "A stale index", "zh": "索引过期"}}]}}))
    return {q.id: q for q in qs}


def rag_thread(start) -> list[FollowUpRecord]:
    """rag-00's follow-ups: the first half right (5/10, with evidence), the second skipped (0)."""
    f1 = FollowUpRecord(session_id="cur", position=1, number=1, question_id="rag-00", follow_up_id="f1",
                        level="trade_off", text="What does retrieval cost?", reason="deeper",
                        answer="Every query waits for the retriever, so latency grows.", seconds_used=40,
                        seconds_allowed=160, seconds_added=60, submitted_at=start, ended="submitted",
                        verdict=Verdict(question_id="rag-00~f1", key_points=[
                            KeyPointVerdict(id="latency", credit=Credit.full, evidence="latency grows"),
                            KeyPointVerdict(id="memory", credit=Credit.none)], feedback="Say what the index costs."))
    f2 = FollowUpRecord(session_id="cur", position=1, number=2, question_id="rag-00", follow_up_id="f2",
                        level="failure_modes", text="You said latency grows: when does retrieval break?",
                        phrased_by="openai/test", reason="gap:p2", answer="", seconds_used=5, seconds_allowed=100,
                        seconds_added=60, submitted_at=start, ended="skipped",
                        verdict=Verdict(question_id="rag-00~f2", reason="no answer"))
    return [f1, f2]


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
                         KeyPointVerdict(id="p2", credit=Credit.full, evidence="beta")]),
                     follow_ups=rag_thread(start)),
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
    assert r["session_id"] == "cur" and r["report_version"] == 3
    q0 = r["questions"][0]
    assert {"id", "topic", "difficulty", "answer", "score", "max_score", "status", "key_points"} <= set(q0)
    assert q0["answer"] == HOSTILE and q0["chosen_because"] == "weak topic: attn"
    assert [k["credit"] for k in q0["key_points"]] == ["full", "partial", "none"]
    assert q0["misconceptions"][0]["evidence"] == "rm -rf /"
    assert q0["reference_answer"] and q0["suggested_follow_ups"] == ["And then, for attn-00?"] and q0["follow_ups"] == []
    # overall: the 2 graded answers; the one not reached and the ungraded one are left out, as in mastery
    s0 = min((2 * 1 + 0.5) / 4 * 10 - MIN_MISCONCEPTION_PENALTY, wrong_claim_cap(0.5))  # a minor misconception (penalty 1)
    rag = 0.7 * 10 + 0.3 * (5 + 0) / 2  # its answer, then its follow-ups: one half right, one skipped
    assert r["overall_score"] == pytest.approx((s0 + rag) / 2, abs=0.01)
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


# --- the report's own words follow the session's language ------------------------------------------

EN_HEADINGS = ("Time management", "Progress", "Key-point coverage", "What to study next", "Questions",
               "Flagged answers", "Your answer", "Key points", "Misconceptions", "Reference answer", "Feedback",
               "An interviewer would ask next", "By topic", "By difficulty", "Mock interview report", "Drill report")
ZH_HTML = ("专项练习报告", "时间管理", "进步趋势", "要点覆盖", "接下来该复习什么", "逐题详情", "被标记的回答", "评分器",
           "你的回答", "答到的要点（2）", "漏掉的要点（1）", "误区", "参考答案", "面试官可能的追问", "点评", "按主题", "按难度",
           "各主题得分", "每场总分", "结束方式", "超时", "未轮到", "选题原因：", "掌握度", "针对这些主题做专项练习：", "疑似操纵评分")
ZH_MD = ("# 专项练习报告", "## 按主题", "## 按难度", "## 时间管理", "## 进步趋势", "## 要点覆盖", "## 接下来该复习什么",
         "## 逐题详情", "## 被标记的回答", "## 评分器", "你的回答：", "要点：", "误区：", "参考答案：", "面试官可能的追问：",
         "点评：", "（本场）", "（掌握度", "（权重 2.0）", "你的原话：", "**总分：")
CJK = re.compile(r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]")


def _lang_report(lang):
    past_sessions, past_answers = history([[("attn-00", 2.0), ("rag-00", 6.0)], [("rag-01", 7.0)]],
                                          start=T0 - timedelta(days=5))
    s, answers = session_and_answers()
    s.settings.lang = lang
    return build_report(s, answers, bank(), history=History([*past_sessions, s], [*past_answers, *answers]))


def _data_strings(report) -> list[str]:
    """Every string the report shows as data (typed, judged or from the bank), longest first."""
    out: set[str] = set()

    def walk(x):
        if isinstance(x, str):
            out.add(x)
        elif isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    r = json.loads(render(report, "json"))
    for key in ("session_id", "questions", "study_next", "flagged", "usage", "drill_command", "topics", "trend"):
        walk(r[key])
    out -= set(VALUES_ZH)  # statuses, difficulties, flag kinds...: the report must show them translated
    return sorted((x for x in out if len(x) > 1), key=len, reverse=True)


def _leftover_words(text: str, report) -> set[str]:
    for data in _data_strings(report):
        text = text.replace(data, " ")
    return set(re.findall(r"[A-Za-z]{3,}", text))


def test_zh_session_report_speaks_chinese():
    r = _lang_report("zh")
    page, md = render(r, "html"), render(r, "md")
    assert '<html lang="zh-CN">' in page
    for label in ZH_HTML:
        assert label in page, label
    for label in ZH_MD:
        assert label in md, label
    for heading in EN_HEADINGS:
        assert f">{heading}<" not in page and f"<h4>{heading}" not in page, heading
        assert f"## {heading}" not in md and f"# {heading}" not in md and f"\n{heading}:" not in md, heading
    # Beyond the headings: once the data is taken out, no English word of the report's own is left.
    allowed = {"UTC", "mock", "interview", "grader", "interviewer", "drill", "topic", "Token", "tokens", "text"}
    visible = re.sub(r"</?mark[^>]*>", "", re.sub(r"<style>.*?</style>", "", page, flags=re.S))
    visible = html.unescape(re.sub(r"<[^>]+>", " ", visible))
    assert _leftover_words(visible, r) <= allowed, _leftover_words(visible, r) - allowed
    assert _leftover_words(md, r) <= allowed, _leftover_words(md, r) - allowed
    # Data is shown as it comes: the question in the session's language, the answer as typed.
    assert "问题 attn-00？" in page and "Say why the variance grows." in page and "weak topic: attn" in page
    pre = re.search(r'<pre class="answer">(.*?)</pre>', page, re.S).group(1)
    assert html.unescape(re.sub(r"</?mark[^>]*>", "", pre)) == HOSTILE
    assert "`````text" in md  # the answer's fence is untouched
    assert any("超时" in a for a in r.time.advice)


def test_en_session_report_unchanged_and_json_language_neutral():
    en, zh = _lang_report("en"), _lang_report("zh")
    page, md = render(en, "html"), render(en, "md")
    assert '<html lang="en">' in page and not CJK.search(page) and not CJK.search(md)
    for heading in ("Time management", "What to study next", "Your answer", "Reference answer", "Misconceptions",
                    "Flagged answers", "An interviewer would ask next", "Covered (2)", "Missed (1)"):
        assert heading in page, heading
    assert md.startswith("# Drill report\n") and "\nKey points:\n" in md and "\nYour answer:\n" in md
    assert "missed 1.0 of 1 time ·" in page or "missed 1.0 of 2 times ·" in page
    assert "1 answer ran out of time: lead with the key points, then add detail." in en.time.advice
    # JSON: same keys and values in both languages, bar the language itself, the question/reference
    # texts the bank holds per language, and the free-text advice.
    a, b = json.loads(render(en, "json")), json.loads(render(zh, "json"))
    assert a["settings"].pop("lang") == "en" and b["settings"].pop("lang") == "zh"
    assert a["time"].pop("advice") != b["time"].pop("advice")
    for qa, qb in zip(a.pop("questions"), b.pop("questions")):
        assert qa.pop("question") != qb.pop("question")
        qa.pop("reference_answer"), qb.pop("reference_answer")
        qa.pop("suggested_follow_ups"), qb.pop("suggested_follow_ups")
        for fa, fb in zip(qa.pop("follow_ups"), qb.pop("follow_ups")):  # the thread: bank texts per language
            for key in ("why", "reference_answer"):
                fa.pop(key), fb.pop(key)
            assert [k.pop("text") for k in fa["key_points"]] != [k.pop("text") for k in fb["key_points"]] or not fa["key_points"]
            assert fa == fb
        assert qa == qb
    for ta, tb in zip(a["study_next"], b["study_next"]):  # key point texts: the bank's, per language
        for pa, pb in zip(ta["points"], tb["points"]):
            pa.pop("text"), pb.pop("text")
    assert a == b


def test_overall_and_mastery_agree_that_unreached_questions_are_left_out():
    """Ctrl-Q after one answer of 3.8 once gave "Overall 1.2" (two questions not reached as 0)
    while topic mastery ignored them; both now leave them out, and the report says so."""
    from reports import analytics as an
    from tests.history_helpers import answer

    qs = bank()
    s = SessionRecord(id="quit", created_at=T0, status="finished", settings=SessionSettings(count=3),
                      plan=["attn-00", "rag-00", "rag-01"])
    answers = [answer("quit", 0, "attn-00", 3.8, T0),
               AnswerRecord(session_id="quit", position=1, question_id="rag-00", answer="", ended="skipped",
                            submitted_at=T0, verdict=Verdict(question_id="rag-00", judge="offline"))]
    r = build_report(s, answers, qs)
    assert r.overall_score == pytest.approx((3.8 + 0) / 2)  # the skip counts 0, the unreached rag-01 is left out
    assert r.answered == 1 and r.graded == 2
    assert [t.score for t in r.topics] == [pytest.approx(3.8), 0.0]
    df = an.answers_frame(answers, qs, [s])
    assert an.session_trend(df, [s])["score"].tolist() == [pytest.approx(r.overall_score)]
    assert an.overall_mean(df) == pytest.approx(r.overall_score)
    md = render(r, "md")
    assert "Questions not reached and answers not graded are left out, as in topic mastery." in md
    assert "1 answered of 3" in md
    assert "Questions not reached and answers not graded are left out" in render(r, "html")


# --- the thread of follow-ups -----------------------------------------------------------------------

def test_json_carries_the_thread_and_the_combined_score(report):
    r = json.loads(render(report, "json"))
    assert r["score_weights"] == {"main": 0.7, "follow_ups": 0.3}
    rag = r["questions"][1]
    assert rag["main_score"] == 10 and rag["follow_ups_score"] == 2.5 and rag["score"] == pytest.approx(7.75)
    f1, f2 = rag["follow_ups"]
    assert (f1["number"], f1["id"], f1["level"], f1["question"], f1["status"], f1["ended"], f1["score"], f1["max_score"]) == (
        1, "f1", "trade_off", "What does retrieval cost?", "graded", "submitted", 5.0, 10)
    assert f1["answer"] == "Every query waits for the retriever, so latency grows."
    assert [(k["id"], k["text"], k["credit"], k["evidence"]) for k in f1["key_points"]] == [
        ("latency", "Adds latency", "full", "latency grows"), ("memory", "Index memory", "none", None)]
    assert f1["why"] == "the answer covered every point: one rung deeper" and f1["reference_answer"] == "Latency and index memory."
    assert (f2["answer"], f2["ended"], f2["score"], f2["phrased_by"]) == ("", "skipped", 0.0, "openai/test")
    assert f2["why"].startswith("probes a point the answer missed or got wrong: ")
    assert rag["suggested_follow_ups"] == []  # both were asked
    # the thread's time: the answer's and each follow-up's, and what each follow-up added
    assert (rag["seconds_used"], rag["seconds_allowed"]) == (100 + 40 + 5, 400 + 60 + 60)


def test_html_and_markdown_show_the_thread_with_scores_and_evidence(report):
    page, md = render(report, "html"), render(report, "md")
    card = page[page.index('id="q2"'):page.index('id="q3"')]
    assert card.index("Your answer") < card.index("Follow-ups") < card.index('id="q2-f1"') < card.index('id="q2-f2"')
    assert "answer 10.0 · follow-ups 2.5 → 7.8" in card
    turn = card[card.index('id="q2-f1"'):card.index('id="q2-f2"')]
    assert "Follow-up 1" in turn and "trade-off" in turn and "What does retrieval cost?" in turn and "5.0<small>/10" in turn
    assert '<mark class="ev full" data-kp="1">latency grows</mark>' in turn and "Adds latency" in turn
    assert "Say what the index costs." in turn and "<details class=\"ref\">" in turn
    skipped = card[card.index('id="q2-f2"'):]
    assert "worded after your answer by openai/test" in skipped and "No answer." in skipped
    assert "70% its answer and 30% its follow-ups" not in page  # the fixture's session had follow-ups off
    block = md[md.index("### 2. "):md.index("### 3. ")]
    assert "#### Follow-up 1 · trade-off · **5.0/10**" in block and "> What does retrieval cost?" in block
    assert "- ✔ 1. Adds latency — you said: ` latency grows `" in block and "#### Follow-up 2 · failure modes · **0.0/10**" in block


def test_the_scoring_note_states_the_weights_when_follow_ups_are_on():
    s, answers = session_and_answers()
    s.settings.follow_ups = 1
    r = build_report(s, answers, bank())
    for text in (render(r, "html"), render(r, "md")):
        assert "A question's score is 70% its answer and 30% its follow-ups, shared equally among those asked" in html.unescape(text)


def test_follow_ups_feed_mastery_reviews_drills_and_what_to_study_next(report):
    from interviewer.drill import _missed_points
    from reports import analytics as an
    from reports.review import replay

    s, answers = session_and_answers()
    rag = answers[1]
    df = an.answers_frame(answers, bank(), [s])
    row = df[df["question_id"] == "rag-00"].iloc[0]
    assert (row["score"], row["main_score"], row["follow_ups"], row["follow_ups_score"]) == (7.75, 10.0, 2, 2.5)
    assert replay(answers)["rag-00"].last_score == 7.75  # the review schedule sees the thread
    assert _missed_points(rag) == ["memory"]  # the answer covered everything; its follow-up did not (no text: the id)
    kp = an.key_point_frame(answers, bank())
    assert {"rag-00~f1"} <= set(kp["question_id"])
    study = {p.key_point_id: p for t in report.study_next for p in t.points}
    assert study["memory"].question_id == "rag-00~f1" and study["memory"].text == "Index memory"
