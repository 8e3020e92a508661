"""The web app's own words in English and Chinese. The interview screen's words it shares with the
terminal (``interviewer.screen_text``) and the report's with the report (``reports.labels``); only
what exists in the browser alone lives here (navigation, forms, buttons, the keys a browser allows).
"""

from __future__ import annotations

from interviewer.screen_text import TEXT as SCREEN
from reports import labels as report_labels

#: key -> (English, Chinese)
WEB: dict[str, tuple[str, str]] = {
    "app": ("Mock interview", "模拟面试"),
    "nav_start": ("Start", "开始"),
    "nav_history": ("History", "历史"),
    "nav_progress": ("Progress", "进步"),
    "nav_drill": ("Drill", "专项练习"),
    "other_lang": ("中文", "English"),
    "other_lang_code": ("zh", "en"),
    # start
    "start_title": ("Start a mock interview", "开始一场模拟面试"),
    "start_intro": ("Answer against the clock; every answer is saved the moment you submit it and graded in the "
                    "background against the question's rubric. The terminal shares this history: "
                    "`interviewer resume` continues an interview started here, and the other way round.",
                    "限时作答；每个回答提交即保存，并在后台按评分要点评分。终端与这里共用同一份历史："
                    "在这里开始的面试可以用 `interviewer resume` 在终端继续，反之亦然。"),
    "topics": ("Topics", "主题"),
    "topics_hint": ("none ticked: all topics", "不勾选即全部主题"),
    "difficulty": ("Difficulty", "难度"),
    "count": ("Questions", "题数"),
    "minutes": ("Minutes", "时长（分钟）"),
    "minutes_hint": ("empty: 3 / 5 / 8 per easy / medium / hard question, plus the follow-ups",
                     "留空：简单 / 中等 / 困难每题 3 / 5 / 8 分钟，另加追问时间"),
    "language": ("Language", "语言"),
    "judge": ("Judge", "评分器"),
    "judge_offline": ("offline (no network, no key)", "离线（无需联网和密钥）"),
    "judge_configured": ("{model} (configured)", "{model}（已配置）"),
    "follow_ups": ("Follow-ups per question", "每题追问数"),
    "seed": ("Seed", "随机种子"),
    "seed_hint": ("optional: the same seed draws the same questions", "可选：相同的种子抽到相同的题目"),
    "start_button": ("Start the interview", "开始面试"),
    "unfinished": ("Unfinished", "未完成"),
    "continue": ("Continue", "继续"),
    "lang_en": ("English", "英文"),
    "lang_zh": ("Chinese", "中文"),
    # interview
    "question_left": ("question", "本题剩余"),
    "follow_up_left": ("follow-up (incl. +{added})", "本追问剩余（含追加 {added}）"),
    "interview_left": ("interview", "整场剩余"),
    "your_answer": ("Your answer", "你的回答"),
    "submit": ("Submit", "提交"),
    "skip": ("Skip", "跳过"),
    "pause": ("Pause", "暂停"),
    "finish": ("Finish the interview", "结束面试"),
    "keys": ("Ctrl-Enter or Ctrl-D: submit · Alt-N: skip · Alt-Q: finish the interview · Alt-P: pause (continue "
             "later, here or with `interviewer resume`)",
             "Ctrl-Enter 或 Ctrl-D：提交 · Alt-N：跳过 · Alt-Q：结束面试 · Alt-P：暂停（之后在这里或用 `interviewer resume` 继续）"),
    "yes": ("y: yes", "y：确定"),
    "no": ("Keep answering", "继续作答"),
    "draft_saved": ("draft saved", "草稿已保存"),
    "draft_unsaved": ("not saved yet", "尚未保存"),
    "not_saved": ("NOT saved ({reason}); your text stays here, retrying", "未保存（{reason}）；内容保留在这里，正在重试"),
    "saving": ("saving…", "保存中…"),
    "next_coming": ("Saved. The next question is on its way…", "已保存，下一题马上就来…"),
    "answers": ("Answers", "作答情况"),
    "grading": ("grading…", "评分中…"),
    "status_saved": ("saved", "已保存"),
    "paused_title": ("Paused", "已暂停"),
    "paused_text": ("Your answers and the text you were typing are saved, with exactly the time you had left. "
                    "Continue here, or in a terminal with: interviewer resume {id}",
                    "你的回答和正在输入的内容都已保存，剩余时间也原样保留。可以在这里继续，或在终端运行：interviewer resume {id}"),
    "grading_title": ("Grading the last answers…", "正在为最后的回答评分…"),
    "finished_title": ("The interview is over", "面试结束"),
    "finished_text": ("Every answer is saved and graded. The report says what you covered, what you missed and "
                      "what to drill next.", "所有回答都已保存并评分。报告会告诉你答到了什么、漏了什么、接下来该练什么。"),
    "pending_text": ("{n} answer{s} still to grade: Continue grades them (or `interviewer resume {id}`).",
                     "还有 {n} 个回答待评分：点“继续”评分（或运行 `interviewer resume {id}`）。"),
    "failed_title": ("The interview stopped", "面试中断了"),
    "failed_text": ("Every submitted answer is saved. Once the problem is fixed, Continue picks up where it stopped.",
                    "所有已提交的回答都已保存。问题解决后，点“继续”即可从中断处接着答。"),
    "open_report": ("Open the report", "查看报告"),
    "server_gone": ("The server does not answer; your text stays here and is saved as soon as it is back.",
                    "服务器没有响应；内容保留在这里，恢复后会立即保存。"),
    "closed_elsewhere": ("This question was answered in another tab or timed out; loading what comes next…",
                         "这道题已在另一个标签页作答或已超时，正在加载下一步…"),
    # history
    "history_title": ("Past sessions", "历史场次"),
    "no_sessions": ("No sessions yet.", "还没有面试记录。"),
    "col_session": ("Session (UTC)", "场次（UTC）"),
    "col_mode": ("Mode", "模式"),
    "col_answered": ("Answered", "已答"),
    "col_score": ("Score", "得分"),
    "col_topics": ("Topics", "主题"),
    "report": ("report", "报告"),
    # progress
    "progress_title": ("Topic mastery", "主题掌握度"),
    "overall": ("Overall {x} / 10", "总体 {x} / 10"),
    "due": ("Due for review: {n} question{s}.", "待复习：{n} 题。"),
    "mastery_note": ("Mastery: recency-weighted mean (half-life 14 days) shrunk toward your overall mean by 3 "
                     "pseudo-answers, so one answer cannot dominate a topic.",
                     "掌握度：按时间加权的平均分（半衰期 14 天），并向你的总体平均分收缩 3 个虚拟回答，避免单次回答左右整个主题。"),
    "col_mastery": ("Mastery", "掌握度"),
    "col_answers": ("Answers", "作答数"),
    "col_last": ("Last", "最近一次"),
    "chart_mastery": ("Mastery by topic, strongest first", "各主题掌握度（由强到弱）"),
    "drill_weakest": ("Drill the weakest", "专项练习最弱的主题"),
    "no_graded": ("No graded answers yet: start an interview first.", "还没有已评分的回答：先开始一场面试吧。"),
    # drill
    "drill_title": ("Drill your weak topics and due reviews", "专项练习：薄弱主题与到期复习"),
    "drill_intro": ("Spaced repetition (FSRS) over your history: questions due for review first, then your weakest "
                    "topics. The same engine as the interview: the same clock, follow-ups and grading.",
                    "根据你的历史做间隔重复（FSRS）：先复习到期的题，再练最薄弱的主题。与模拟面试同一套流程：同样计时、追问和评分。"),
    "drill_plan": ("What this drill would ask", "本次练习将要问的题"),
    "why": ("Why it was chosen", "选题原因"),
    "drill_button": ("Start the drill", "开始练习"),
    # errors
    "error_title": ("Something is wrong", "出错了"),
    "not_found": ("No such page.", "没有这个页面。"),
    "back": ("Back to the start page", "返回开始页"),
}


def t(key: str, lang: str | None, **fields: object) -> str:
    """A web word; else the interview screen's (``SCREEN``), else the report's."""
    return report_labels.t(key, lang, WEB if key in WEB else SCREEN if key in SCREEN else None, **fields)


class WebLabels:
    """The words of one language for the templates: ``W.key`` or ``W.f("key", n=1)``."""

    def __init__(self, lang: str | None) -> None:
        self.lang = "zh" if lang == "zh" else "en"

    def __getattr__(self, key: str) -> str:
        if key.startswith("__") or (key not in WEB and key not in SCREEN and key not in report_labels.LABELS):
            raise AttributeError(key)
        return t(key, self.lang)

    def f(self, key: str, **fields: object) -> str:
        return t(key, self.lang, **fields)

    def v(self, value: str | None) -> str:
        return report_labels.value(value or "", self.lang)

    def level(self, value: str) -> str:
        return report_labels.level(value, self.lang)
