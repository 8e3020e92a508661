"""The report's own words in English and Simplified Chinese.

Only the report's labels and the sentences it generates live here: question text, answers,
reference answers, key points and judge feedback are data and are shown as they come. Templates
get a :class:`Labels` as ``L`` (``L.your_answer``, ``L.v(q.ended)``); Python code calls :func:`t`.
Strings may hold ``str.format`` fields; a language that does not need a field (the English
plural ``{s}``) simply leaves it out. A few values marked ``_html`` hold trusted markup of our own.
"""

from __future__ import annotations

LANGS = ("en", "zh")

#: key -> (English, Chinese)
LABELS: dict[str, tuple[str, str]] = {
    "html_lang": ("en", "zh-CN"),
    "colon": (": ", "："),
    # header
    "title_drill": ("Drill", "专项练习"),
    "title_interview": ("Mock interview", "模拟面试"),
    "report_drill": ("Drill report", "专项练习报告"),
    "report_interview": ("Mock interview report", "模拟面试报告"),
    "session": ("Session", "场次"),
    # table of contents / section headings
    "toc_overview": ("Overview", "概览"),
    "toc_time": ("Time", "用时"),
    "toc_progress": ("Progress", "进步"),
    "toc_coverage": ("Coverage", "要点覆盖"),
    "toc_flagged": ("Flagged", "标记"),
    "h_time": ("Time management", "时间管理"),
    "h_progress": ("Progress", "进步趋势"),
    "h_coverage": ("Key-point coverage", "要点覆盖"),
    "h_study_next": ("What to study next", "接下来该复习什么"),
    "h_questions": ("Questions", "逐题详情"),
    "h_flagged": ("Flagged answers", "被标记的回答"),
    "h_judge": ("Judge", "评分器"),
    "h_by_topic": ("By topic", "按主题"),
    "h_by_difficulty": ("By difficulty", "按难度"),
    # overview
    "no_change": ("no change", "持平"),
    "vs_previous": ("{delta} vs previous session", "较上一场 {delta}"),
    "vs_previous_md": (" ({delta} vs previous session)", "（较上一场 {delta}）"),
    "questions": ("Questions", "题目"),
    "answered_of": ("{answered} answered of {total}", "共 {total} 题，答了 {answered} 题"),
    "n_graded": ("{n} graded", "已评分 {n} 题"),
    "n_ungraded": ("{n} ungraded", "{n} 题未能评分"),
    "n_pending": ("{n} pending", "{n} 题待评分"),
    "time": ("Time", "用时"),
    "used_of": ("{used} used of {allowed}", "已用 {used}，限时 {allowed}"),
    "setup": ("Setup", "设置"),
    "all_topics": ("all topics", "全部主题"),
    "seed": ("seed {n}", "随机种子 {n}"),
    "judge": ("Judge", "评分器"),
    "focus_next": ("Focus next", "重点关注"),
    "overall_score": ("Overall score", "总分"),
    "score_basis": ("The mean of the {n} graded answer{s}; a skipped answer counts as 0. Questions not reached and "
                    "answers not graded are left out, as in topic mastery.",
                    "按 {n} 道已评分回答取平均，跳过的题按 0 分计；没来得及答的题和未能评分的回答不计入，与主题掌握度的算法一致。"),
    "scoring": ("Scoring", "计分"),
    # charts
    "chart_by_topic": ("Score by topic", "各主题得分"),
    "chart_by_difficulty": ("Score by difficulty", "各难度得分"),
    "chart_trend": ("Overall score per session", "每场总分"),
    "chart_trend_default": ("Score per session", "每场得分"),
    "chart_coverage": ("Key-point coverage per question (share of rubric weight)", "每题要点覆盖（按评分权重占比）"),
    "chart_coverage_default": ("Key-point coverage", "要点覆盖"),
    "n_answers": ("{n} answer{s}", "答了 {n} 题"),
    "n_questions": ("{n} question{s}", "{n} 题"),
    "covered": ("covered", "已答到"),
    "partly_covered": ("partly covered", "部分答到"),
    "partly": ("partly", "部分答到"),
    "missed": ("missed", "漏答"),
    # time management
    "col_topic": ("Topic", "主题"),
    "col_difficulty": ("Difficulty", "难度"),
    "col_time_used_of": ("Time used of allowed", "用时 / 限时"),
    "col_ended": ("How it ended", "结束方式"),
    "col_score": ("Score", "得分"),
    "col_used": ("Used", "用时"),
    "col_allowed": ("Allowed", "限时"),
    "col_ended_short": ("Ended", "结束方式"),
    "col_answered": ("Answered", "已答"),
    "col_questions": ("Questions", "题数"),
    "all_in_time": ("Every answer finished inside its time.", "每道题都在限时内答完了。"),
    "advice_timed_out": ("{n} answer{s} ran out of time: lead with the key points, then add detail.",
                         "{n} 道题超时：先说要点，再补充细节。"),
    "advice_not_reached": ("{n} question{s} never reached: keep an eye on the interview clock.",
                           "{n} 道题没来得及答：注意把控整场面试的时间。"),
    "advice_rushed": ("{n} weak answer{s} used under a fifth of the time allowed: the time was there to say more.",
                      "{n} 道题答得不理想，却只用了不到五分之一的时间：时间充裕，可以多讲一些。"),
    "advice_skipped": ("{n} question{s} skipped: in a real interview, say what you do know.",
                       "跳过了 {n} 道题：真实面试中，哪怕只懂一部分也要说出来。"),
    # progress
    "first_session_html": ("This is your first session: the trend starts here. Come back with <code>interviewer drill</code>.",
                           "这是你的第一场面试，趋势从这里开始。之后可以用 <code>interviewer drill</code> 继续练习。"),
    "first_session_md": ("First session: the trend starts here.", "第一场面试：趋势从这里开始。"),
    "previous_session": ("Previous session {id} ({date})", "上一场 {id}（{date}）"),
    "previous_session_md": ("Previous session {id}: {before} → {now} ({delta}).", "上一场 {id}：{before} → {now}（{delta}）。"),
    "col_topic_both": ("Topic asked both times", "两场都考到的主题"),
    "col_before": ("Before", "上一场"),
    "col_now": ("Now", "本场"),
    "col_change": ("Change", "变化"),
    "col_session": ("Session", "场次"),
    "col_date": ("Date", "日期"),
    "col_mode": ("Mode", "模式"),
    "this_one": (" (this one)", "（本场）"),
    # coverage
    "no_graded": ("No graded answers yet.", "还没有已评分的回答。"),
    "col_covered": ("Covered", "已答到"),
    "col_partly": ("Partly", "部分答到"),
    "col_missed": ("Missed", "漏答"),
    "col_credit": ("Credit", "得分率"),
    "coverage_note": ("Credit (the percentage at the end of each bar) is the covered weight plus half the partly "
                      "covered weight.",
                      "得分率（每条末尾的百分比）= 已答到的权重 + 部分答到的权重的一半。"),
    # study next
    "study_intro": ("The key points you missed most often across your history, weakest topic first. "
                    "A point drops off this list once an answer covers it in full.",
                    "以下是你历次回答中最常漏掉的要点，最薄弱的主题排在前面。某个要点一旦在回答中被完整答到，就会从列表中移除。"),
    "mastery": ("mastery", "掌握度"),
    "mastery_md": (" (mastery {x})", "（掌握度 {x}）"),
    "missed_of": ("missed {m} of {n} time{s}", "{n} 次中漏答 {m:g} 次"),
    "missed_of_md": ("missed {m} of {n}", "{n} 次中漏答 {m:g} 次"),
    "drill_these": ("Drill exactly these:", "针对这些主题做专项练习："),
    "drill_them_md": ("Drill them: ", "针对这些主题做专项练习："),
    "nothing_missed_html": ("Nothing missed: every key point of your latest answers was covered. "
                            "Try harder questions: <code>interviewer start --difficulty hard</code>",
                            "没有漏掉的要点：最近回答中的要点全部答到了。可以挑战更难的题目："
                            "<code>interviewer start --difficulty hard</code>"),
    "nothing_missed_md": ("Nothing missed in your latest answers.", "最近的回答没有漏掉任何要点。"),
    # questions
    "of": ("{used} of {allowed}", "{used} / {allowed}"),
    "chosen_because": ("Chosen because", "选题原因"),
    "variant": ("asked with", "本题参数"),
    "your_answer": ("Your answer", "你的回答"),
    "not_reached": ("Not reached.", "没来得及答这道题。"),
    "no_answer": ("No answer.", "未作答。"),
    "covered_n": ("Covered ({n})", "答到的要点（{n}）"),
    "partly_paren": ("(partly)", "（部分答到）"),
    "you_said": ("you said", "你的原话"),
    "contradicted_n": ("Stated the opposite ({n})", "说反了（{n}）"),
    "contradicted_note": ("a wrong claim: the answer asserts the opposite of this point", "错误说法：回答的意思与这一要点相反"),
    "low_confidence": ("not judged reliably", "评分可信度低"),
    "confidence": ("confidence", "可信度"),
    "offline_judge_note": (
        "The offline judge checks what an answer claims against the rubric, by text: it credits a point when a "
        "sentence states it, and marks the wrong claims it recognises. It cannot follow reasoning, and it may miss "
        "a correct idea put in words the rubric does not know.",
        "离线评分器按文本比对回答的说法与评分要点：某句话明确说出要点才给分，并标出它能识别的错误说法。"
        "它无法理解推理过程，用评分要点之外的说法表达的正确观点可能被漏判。",
    ),
    "low_confidence_note": (
        "{n} answer(s) could not be judged reliably ({which}). For a second opinion, regrade with an LLM judge: "
        "interviewer regrade {session} --all --judge MODEL",
        "{n} 个回答的评分可信度低（{which}）。如需复核，可用大模型评分器重新评分："
        "interviewer regrade {session} --all --judge MODEL",
    ),
    "none_covered": ("None of the key points.", "一个要点都没有答到。"),
    "missed_n": ("Missed ({n})", "漏掉的要点（{n}）"),
    "weight": ("(weight {w})", "（权重 {w}）"),
    "weight_sp": (" (weight {w})", "（权重 {w}）"),
    "all_covered": ("Nothing: every key point covered.", "无：所有要点都答到了。"),
    "none_missed_partly": ("Nothing missed entirely, but {n} point{s} only partly covered (see the left).",
                           "没有完全漏掉的要点，但有 {n} 个要点只答到一部分（见左侧）。"),
    "key_points": ("Key points", "要点"),
    "misconceptions": ("Misconceptions", "误区"),
    "feedback": ("Feedback", "点评"),
    "reference_answer": ("Reference answer", "参考答案"),
    "follow_ups": ("An interviewer would ask next", "面试官可能的追问"),
    # the thread of follow-ups
    "h_thread": ("Follow-ups", "追问"),
    "follow_up_n": ("Follow-up {n}", "追问 {n}"),
    "why_gap": ("probes a point the answer missed or got wrong: {point}", "追问回答中漏掉或说错的要点：{point}"),
    "why_deeper": ("the answer covered every point: one rung deeper", "回答覆盖了所有要点：再深入一层"),
    "worded_by": ("worded after your answer by {model}", "由 {model} 结合你的回答措辞"),
    "follow_up_open": ("Not answered yet: the interview was paused here.", "尚未作答：面试在这里暂停了。"),
    "score_parts": ("answer {main} · follow-ups {fu} → {score}", "主回答 {main} · 追问 {fu} → {score}"),
    "score_weights": ("A question's score is {main}% its answer and {fu}% its follow-ups, shared equally among those "
                      "asked (a skipped follow-up counts 0).",
                      "每道题的得分 = 主回答 {main}% + 追问 {fu}%（追问之间平分；跳过的追问记 0 分）。"),
    "reference_short": ("Reference", "参考答案"),
    # flagged
    "col_question": ("Question", "题目"),
    "col_flag": ("Flag", "标记"),
    "col_detail": ("Detail", "详情"),
    "flagged_note": ("Possible manipulation, judge disagreement, truncated or ungraded answers. Ungraded answers are "
                     "left out of the score, never counted as 0; regrade them when the judge is back.",
                     "包括疑似操纵评分、评分分歧、被截断或未能评分的回答。未能评分的回答不计入总分（不会按 0 分算）；"
                     "评分器恢复后请重新评分。"),
    "flagged_none": ("None: no possible manipulation, judge disagreement or ungraded answer.",
                     "无：没有疑似操纵评分、评分分歧或未能评分的回答。"),
    "none_md": ("None.", "无。"),
    # judge
    "judge_model": ("Judge / model", "评分器 / 模型"),
    "judge_check": ("Judge check", "评分器检验"),
    "judge_checked": ("checked on {date}: {pct} of pairs ordered", "{date} 已检验：{pct} 的正误答案对排序正确"),
    "judge_not_trusted": ("not trusted", "未通过"),
    "judge_not_checked": ("not checked", "未检验"),
    "prompt_version": ("Prompt version", "提示词版本"),
    "tokens": ("Tokens", "Token 用量"),
    "tokens_detail": ("{p} prompt + {c} completion", "输入 {p} + 输出 {c}"),
    "cost": ("Cost", "费用"),
    "cost_unknown": ("unknown (a model without a price)", "未知（该模型没有定价）"),
    "judge_line_md": ("Judge: {judges} · prompt {prompt} · {p} prompt + {c} completion tokens · cost {cost}",
                      "评分器：{judges} · 提示词 {prompt} · 输入 {p} + 输出 {c} tokens · 费用 {cost}"),
    "unknown": ("unknown", "未知"),
    "footer": ("Generated by mock-interview-grader (report v{v}). Scores are computed by code from the rubric's key "
               "points and misconceptions; reference answers are study material, not the only right answer.",
               "由 mock-interview-grader 生成（报告 v{v}）。分数由代码根据评分标准中的要点和误区计算；"
               "参考答案是学习材料，并非唯一正确答案。"),
}

#: Enumerated values the report shows (modes, statuses, how an answer ended, difficulties,
#: flag kinds). English shows the value itself, exactly as before; Chinese maps it.
VALUES_ZH: dict[str, str] = {
    "start": "模拟面试", "drill": "专项练习",
    "active": "进行中", "finished": "已结束",
    "submitted": "已提交", "timed_out": "超时", "skipped": "跳过", "not_reached": "未轮到",
    "graded": "已评分", "ungraded": "未能评分", "pending": "待评分",
    "easy": "简单", "medium": "中等", "hard": "困难", "mixed": "混合", "unknown": "未知",
    "manipulation": "疑似操纵评分", "keyword_stuffing": "堆砌关键词", "judge_disagreement": "评分分歧",
    "truncated": "回答被截断", "unverified_evidence": "引用无法核实", "sample_spread": "多次采样结果分歧",
    "en": "英文", "zh": "中文",
    "mechanism": "原理", "trade_off": "权衡", "numbers": "数字", "failure_modes": "失效场景",
    "open": "作答中",
}


def _lang(lang: str | None) -> str:
    return "zh" if lang == "zh" else "en"


def t(key: str, lang: str | None = "en", table: dict[str, tuple[str, str]] | None = None, **fields: object) -> str:
    """The label ``key`` in ``lang`` (anything but "zh" is English), formatted with ``fields``;
    ``{s}`` is the English plural of the field ``n``. ``table``: another (English, Chinese) table
    than the report's, such as the interview screen's."""
    text = (LABELS if table is None else table)[key][LANGS.index(_lang(lang))]
    if "n" in fields and "s" not in fields:
        fields["s"] = plural_s(fields["n"])  # type: ignore[arg-type]
    return text.format(**fields) if fields else text


def value(v: str, lang: str | None = "en") -> str:
    """An enumerated value as shown to the reader: unchanged in English, mapped in Chinese."""
    return VALUES_ZH.get(v, v) if _lang(lang) == "zh" else v


#: The follow-up ladder's rungs as English shows them (Chinese: VALUES_ZH).
LEVELS_EN = {"mechanism": "mechanism", "trade_off": "trade-off", "numbers": "numbers", "failure_modes": "failure modes"}


def level(v: str, lang: str | None = "en") -> str:
    """A follow-up's rung on the ladder, as shown to the reader."""
    return value(v, lang) if _lang(lang) == "zh" else LEVELS_EN.get(v, v.replace("_", " "))


def plural_s(n: int | float) -> str:
    return "" if n == 1 else "s"


def plural(n: int | float, noun: str) -> str:
    """An English count and its noun: ``1 question``, ``3 questions``, ``1.5 minutes``."""
    number = f"{n:g}" if isinstance(n, float) else str(n)
    return f"{number} {noun}{plural_s(n)}"


class Labels:
    """The labels of one language for the templates: ``L.key`` or ``L.f("key", n=1)``."""

    def __init__(self, lang: str | None) -> None:
        self.lang = _lang(lang)

    def __getattr__(self, key: str) -> str:
        if key.startswith("__") or key not in LABELS:
            raise AttributeError(key)
        return t(key, self.lang)

    def f(self, key: str, **fields: object) -> str:
        """A label with fields; ``{s}`` is the English plural of the field ``n``."""
        return t(key, self.lang, **fields)

    def v(self, v: str | None) -> str:
        return value(v or "", self.lang)

    def level(self, v: str) -> str:
        return level(v, self.lang)
