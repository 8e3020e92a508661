"""The interview screen's words, English and Chinese (the session's --lang), shared by its two
front doors: the terminal UI (``interviewer.tui``) and the web app (``interviewer.web``). Kept apart
from the terminal UI so the web app reads them without importing prompt_toolkit."""

#: key -> (English, Chinese)
TEXT: dict[str, tuple[str, str]] = {
    "question": ("Question {n}/{total}", "第 {n}/{total} 题"),
    "clock": ("⏱ question {q} · interview {all} · {count}", "⏱ 本题剩余 {q} · 整场剩余 {all} · {count}"),
    "keys": ("Ctrl-D or Esc Enter: submit · Ctrl-N: skip · Ctrl-Q: finish the interview · Ctrl-C: pause (resume later)",
             "Ctrl-D 或 Esc Enter：提交 · Ctrl-N：跳过 · Ctrl-Q：结束面试 · Ctrl-C：暂停（之后 resume 继续）"),
    "scroll": (" · PgUp/PgDn: scroll the question", " · PgUp/PgDn：滚动题目"),
    "scroll_thread": (" · PgUp/PgDn: scroll the thread", " · PgUp/PgDn：滚动问答记录"),
    "more": ("── more of the question: PgDn ↓ ", "── 题目未显示完：PgDn ↓ "),
    "above": ("── PgUp ↑ for the start of the question ", "── PgUp ↑ 查看题目开头 "),
    "confirm_empty": ("Nothing typed: skip this question? It scores 0. y: skip · any other key: keep answering",
                      "还没有作答：跳过这道题吗？跳过记 0 分。y：跳过 · 其他任意键：继续作答"),
    "confirm_skip": ("Skip with an answer typed? It is submitted and graded as it stands. y: submit and move on · "
                     "any other key: keep answering",
                     "已经写了回答：跳过的话会按现有内容提交并评分。y：提交并进入下一题 · 其他任意键：继续作答"),
    "confirm_finish": ("Finish the interview now? What you typed is submitted; {left} not reached (left out of the "
                       "score). y: finish · any other key: keep answering",
                       "现在结束面试吗？已写的内容会提交；剩下的 {left}不再作答（不计入总分）。y：结束 · 其他任意键：继续作答"),
    "left": ("the {n} question{s} left {are}", "{n} 道题"),
    "saved": ("✓ answer {n} saved; grading in the background", "✓ 第 {n} 题已保存，后台评分中"),
    "timed_out": ("✓ time is up: answer {n} saved as typed; grading in the background",
                  "✓ 时间到：第 {n} 题已按现有内容保存，后台评分中"),
    "skipped": ("✓ question {n} skipped", "✓ 第 {n} 题已跳过"),
    # follow-ups
    "follow_up": ("Question {n}/{total} · follow-up {k}/{planned}", "第 {n}/{total} 题 · 追问 {k}/{planned}"),
    "interviewer": ("Interviewer: ", "面试官："),
    "you": ("You: ", "你："),
    "asks_follow_up": ("Follow-up {k}: ", "追问 {k}："),
    "no_answer": ("(no answer)", "（未作答）"),
    "above_thread": ("── PgUp ↑ for the question and your answer ", "── PgUp ↑ 查看题目和你的回答 "),
    "more_thread": ("── more of the follow-up: PgDn ↓ ", "── 追问未显示完：PgDn ↓ "),
    "clock_follow_up": ("⏱ follow-up {q} (incl. +{added} for it) · interview {all} · {count}",
                        "⏱ 本追问剩余 {q}（含追加的 {added}）· 整场剩余 {all} · {count}"),
    "confirm_empty_follow_up": ("Nothing typed: skip this follow-up? It counts 0 in the question's score and the "
                                "interview moves on. y: skip · any other key: keep answering",
                                "还没有作答：跳过这个追问吗？它在本题得分中记 0 分，面试进入下一题。y：跳过 · 其他任意键：继续作答"),
    "confirm_skip_follow_up": ("Skip with an answer typed? It is submitted and graded as it stands, and the interview "
                               "moves on. y: submit and move on · any other key: keep answering",
                               "已经写了回答：跳过的话会按现有内容提交并评分，面试进入下一题。y：提交并进入下一题 · 其他任意键：继续作答"),
    "saved_follow_up": ("✓ follow-up {k} of question {n} saved; grading in the background",
                        "✓ 第 {n} 题的追问 {k} 已保存，后台评分中"),
    "timed_out_follow_up": ("✓ time is up: follow-up {k} of question {n} saved as typed; grading in the background",
                            "✓ 时间到：第 {n} 题的追问 {k} 已按现有内容保存，后台评分中"),
    "skipped_follow_up": ("✓ follow-up {k} of question {n} skipped", "✓ 第 {n} 题的追问 {k} 已跳过"),
}
