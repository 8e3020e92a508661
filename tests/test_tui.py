"""The real prompt_toolkit interview screen, driven through a pipe: typing, submitting, skipping,
finishing early, and a time-out that submits what was typed; keys that would lose credit ask
first; and what the screen shows, rendered into a virtual terminal (pyte) at small sizes."""

from __future__ import annotations

import re
import threading
import time

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from interviewer.judge_loader import JudgeStatus
from interviewer.session import Turn
from interviewer.tui import TerminalAnswers
from tests.helpers import make_question


def _turn(seconds: float = 60.0, total_left: float = 600.0) -> Turn:
    return Turn(make_question("q-1", "attention"), 0, 3, seconds, total_left, "en")


def _ask(keys: list[str | float], turn: Turn):
    """Send keys (strings) with pauses (floats) while the application runs."""
    with create_pipe_input() as inp, create_app_session(input=inp, output=DummyOutput()):
        def feed():
            for k in keys:
                if isinstance(k, float):
                    time.sleep(k)
                else:
                    inp.send_text(k)

        t = threading.Thread(target=feed, daemon=True)
        t.start()
        reply = TerminalAnswers(input=inp, output=DummyOutput(), tick=0.05).ask(turn)
        t.join(5)
        return reply


def test_multiline_answer_submitted_with_ctrl_d():
    reply = _ask([0.1, "line one\rline two", 0.1, "\x04"], _turn())
    assert reply.text == "line one\nline two"
    assert reply.ended == "submitted" and not reply.finish and not reply.pause
    assert 0 < reply.seconds_used < 5


def test_escape_enter_submits():
    reply = _ask([0.1, "short answer", 0.1, "\x1b\r"], _turn())
    assert (reply.text, reply.ended) == ("short answer", "submitted")


def test_skip_with_ctrl_n_on_an_empty_editor_needs_no_confirmation():
    reply = _ask([0.1, "\x0e"], _turn())
    assert reply.ended == "skipped" and reply.text == ""


def test_skip_with_text_typed_asks_and_then_grades_the_text():
    """Ctrl-N with text used to score the text 0: it now asks, and a confirmed skip submits it."""
    reply = _ask([0.1, "half a thought", 0.1, "\x0e", 0.1, "n", 0.1, " and more", 0.1, "\x0e", 0.1, "y"], _turn())
    assert reply.ended == "submitted" and reply.text == "half a thought and more"  # "n" was an answer, not text


def test_submitting_an_empty_editor_asks_first():
    reply = _ask([0.1, "\x04", 0.1, "x", 0.1, "late idea", 0.1, "\x04"], _turn())
    assert (reply.ended, reply.text) == ("submitted", "late idea")  # any other key: back to typing
    reply = _ask([0.1, "\x04", 0.1, "y"], _turn())
    assert (reply.ended, reply.text) == ("skipped", "")


def test_finish_early_with_ctrl_q_asks_then_keeps_text():
    reply = _ask([0.1, "final words", 0.1, "\x11", 0.1, "\x1b", 0.3, "!", 0.1, "\x11", 0.1, "Y"], _turn())
    assert reply.finish and reply.ended == "submitted" and reply.text == "final words!"


def test_ctrl_q_on_the_last_question_needs_no_confirmation():
    turn = _turn()
    turn.position = turn.total - 1
    reply = _ask([0.1, "last words", 0.1, "\x11"], turn)
    assert reply.finish and reply.text == "last words"


def test_ctrl_c_pauses_and_keeps_text():
    reply = _ask([0.1, "typed so far", 0.1, "\x03"], _turn())
    assert reply.pause and reply.text == "typed so far"


@pytest.mark.timeout(20)
def test_time_out_submits_what_was_typed():
    reply = _ask([0.1, "partial answer about softmax"], _turn(seconds=1.0))
    assert reply.ended == "timed_out"
    assert reply.text == "partial answer about softmax"
    assert 0.9 <= reply.seconds_used < 4


@pytest.mark.timeout(20)
def test_interview_clock_also_times_out():
    reply = _ask([0.1, "x"], _turn(seconds=60.0, total_left=1.0))
    assert reply.ended == "timed_out" and reply.text == "x"


@pytest.mark.timeout(20)
def test_draft_is_autosaved_while_typing_and_restored():
    saved: list[str] = []
    seconds: list[float] = []
    turn = _turn()
    turn.save_draft = lambda text, used: (saved.append(text), seconds.append(used))
    turn.draft = "restored start"
    with create_pipe_input() as inp, create_app_session(input=inp, output=DummyOutput()):
        def feed():
            time.sleep(0.1)
            inp.send_text(" and more")
            time.sleep(0.8)  # several autosave periods
            inp.send_text("\x04")

        t = threading.Thread(target=feed, daemon=True)
        t.start()
        reply = TerminalAnswers(input=inp, output=DummyOutput(), tick=0.05, autosave=0.2).ask(turn)
        t.join(5)
    assert reply.text == "restored start and more"  # typing continued after the restored draft
    assert saved and saved[-1] == "restored start and more"
    assert len(saved) >= 2  # saved again with the same text: the time spent must reach the disk too
    assert seconds == sorted(seconds) and len(set(seconds)) == len(seconds) and 0 < seconds[-1] < 5


# --- what the screen shows, in a virtual terminal ----------------------------------------------

LONG = ("Explain in detail how multi-head attention differs from multi-query attention and grouped-query attention, "
        "what each costs in KV-cache memory during autoregressive decoding, how the number of key-value heads trades "
        "quality for speed, and which large language models use which variant and why the parameters matter.")


class Terminal:
    """A pyte screen of ``cols`` x ``rows`` that the application draws into through a real VT100 output."""

    def __init__(self, cols: int, rows: int):
        import pyte
        from prompt_toolkit.data_structures import Size
        from prompt_toolkit.output.vt100 import Vt100_Output

        self.screen = pyte.Screen(cols, rows)
        stream = pyte.Stream(self.screen)

        class Sink:
            encoding = "utf-8"

            def write(self, data: str) -> None:
                stream.feed(data)

            def flush(self) -> None:
                pass

        self.output = Vt100_Output(Sink(), lambda: Size(rows=rows, columns=cols), term="xterm", enable_cpr=False)

    @property
    def rows(self) -> list[str]:
        return [row.rstrip() for row in self.screen.display]

    @property
    def text(self) -> str:
        return "\n".join(self.rows)


def _show(turn: Turn, cols: int, rows: int, keys: list[str | float], status=None) -> list[str]:
    """The screen (one string per row) after each ``"snap"`` in ``keys``; ends the question with Ctrl-C."""
    term = Terminal(cols, rows)
    snaps: list[str] = []
    with create_pipe_input() as inp, create_app_session(input=inp, output=term.output):
        def feed():
            for k in [*keys, "\x03"]:
                if isinstance(k, float):
                    time.sleep(k)
                elif k == "snap":
                    time.sleep(0.4)  # a few refresh ticks
                    snaps.append(term.text)
                else:
                    inp.send_text(k)

        t = threading.Thread(target=feed, daemon=True)
        t.start()
        TerminalAnswers(input=inp, output=term.output, tick=0.05, status=status).ask(turn)
        t.join(10)
    return snaps


def _long_turn(lang: str = "en") -> Turn:
    q = make_question("q-1", "attention")
    q.text.en = LONG
    q.text.zh = "请详细解释多头注意力、多查询注意力和分组查询注意力的区别，以及它们在自回归解码时的 KV cache 显存开销。"
    return Turn(q, 0, 5, 300.0, 1500.0, lang)


def _words_intact(screen: str, question: str, typed: str = "") -> None:
    """Every word shown in the question's rows and the editor's rows is a whole word of its text."""
    rows = [re.sub(r"\s[v^]$", "", row) for row in screen.splitlines()]  # the editor's scrollbar arrows
    rule = next(i for i, row in enumerate(rows) if row.startswith("─"))
    clock = next(i for i, row in enumerate(rows) if row.startswith(" ⏱"))
    for part, text in ((rows[1:rule], question), (rows[rule + 1:clock], typed)):
        shown = " ".join(part).split()
        assert set(shown) <= set(text.split()), f"broken words: {set(shown) - set(text.split())}"


@pytest.mark.timeout(30)
def test_80x24_wraps_at_words_and_shows_every_key_and_the_judge_status():
    typed = "The parameters of grouped query attention are shared between heads so the cache shrinks a lot " * 2
    status = JudgeStatus("openai/x")
    status.set("ready", seconds=0.4)
    (screen,) = _show(_long_turn(), 80, 24, [0.2, typed, "snap"], status=status)
    flat = " ".join(screen.split())
    assert LONG in flat  # the whole question, in order, at 80 columns
    for key in ("Ctrl-D", "Esc Enter: submit", "Ctrl-N: skip", "Ctrl-Q: finish the interview", "Ctrl-C: pause"):
        assert key in flat, screen
    assert "judge openai/x: ready" in screen and re.search(r"⏱ question \d\d:\d\d · interview \d\d:\d\d", screen) and "32 words" in screen
    _words_intact(screen, LONG, typed)


@pytest.mark.timeout(30)
def test_60x14_scrolls_a_long_question_and_keeps_the_keys():
    first, scrolled, end = _show(_long_turn(), 60, 14, [0.2, "snap", "\x1b[6~", "snap", "\x1b[6~", "\x1b[6~", "snap"])
    assert "Explain in detail" in first and "PgDn" in first and "why the parameters matter." not in first
    assert "Explain in detail" not in scrolled
    assert "why the parameters matter." in " ".join(end.split()) and "PgUp" in end
    for screen in (first, scrolled, end):
        assert len(screen.splitlines()) == 14
        flat = " ".join(screen.split())
        assert "Ctrl-C: pause" in flat and "Ctrl-D" in flat and "⏱" in screen
        _words_intact(screen, LONG)


@pytest.mark.timeout(30)
def test_the_confirmation_is_never_cut_on_a_small_screen():
    (screen,) = _show(_long_turn(), 60, 14, [0.2, "some text", "\x0e", "snap", "n"])
    assert "Skip with an answer typed? It is submitted and graded as it stands. y: submit and move on · any " \
           "other key: keep answering" in " ".join(screen.split())


@pytest.mark.timeout(30)
def test_chinese_session_screen_is_in_chinese_and_counts_characters():
    (screen,) = _show(_long_turn("zh"), 80, 24, [0.2, "注意力机制 uses softmax", "snap"])
    assert "第 1/5 题" in screen and "简单" in screen and re.search(r"本题剩余 \d\d:\d\d · 整场剩余 \d\d:\d\d", screen)
    assert "已写 7 字" in screen  # five characters and two English words
    assert "Ctrl-C：暂停" in screen and "words" not in screen


# --- a follow-up: the thread above it, the follow-up in view, its own clock and words ---------------

SHORT = "How do MQA and GQA shrink the KV cache?"


def _follow_up_turn(lang: str = "en", answer: str = "Grouped query attention shares each key value head between a "
                    "group of query heads, which shrinks the cache during decoding " * 2, long: bool = True) -> Turn:
    from interviewer.session import FollowUpAsk

    turn = _long_turn(lang)
    if not long:
        turn.question.text.en = SHORT
    text = ("You said the cache shrinks: for a 32k context, how large is the KV cache of a Llama style model with "
            "eight KV heads, and what would it be with full multi-head attention?")
    turn.follow_up = FollowUpAsk(number=1, planned=2, level="numbers", text=text, seconds_added=90.0,
                                 thread=[(turn.question.text.get(lang), answer)])
    turn.seconds_allowed, turn.follow_ups_planned = 150.0, 2
    return turn


@pytest.mark.timeout(30)
def test_a_follow_up_shows_the_thread_at_80x24_with_its_clock_and_keys():
    turn = _follow_up_turn(long=False)
    (screen,) = _show(turn, 80, 24, [0.2, "about four gigabytes", "snap"])
    flat = " ".join(screen.split())
    assert "Question 1/5 · follow-up 1/2" in flat and "numbers" in screen
    thread = turn.follow_up.thread[0]
    for part in ("Interviewer: " + SHORT, "You: " + " ".join(thread[1].split()), "Follow-up 1: " + turn.follow_up.text):
        assert part in flat, part  # the whole exchange, in order, wrapped at words
    assert re.search(r"⏱ follow-up 02:\d\d \(incl\. \+01:30 for it\) · interview \d\d:\d\d · 3 words", flat), screen
    for key in ("Ctrl-D", "Ctrl-N: skip", "Ctrl-Q: finish the interview", "Ctrl-C: pause"):
        assert key in flat
    words = " ".join((SHORT, thread[1], turn.follow_up.text, "Interviewer: You: Follow-up 1:")).split()
    rows = screen.splitlines()
    rule = next(i for i, row in enumerate(rows) if row.startswith("─"))
    assert set(" ".join(rows[1:rule]).split()) <= set(words)  # no word cut in two


@pytest.mark.timeout(30)
def test_on_a_60x14_screen_the_follow_up_is_in_view_and_the_thread_a_pgup_away():
    turn = _follow_up_turn()
    first, down, up = _show(turn, 60, 14, [0.2, "snap", "\x1b[6~", "\x1b[6~", "snap", *["\x1b[5~"] * 12, "snap"])
    assert "Follow-up 1: You said the cache shrinks" in first and "Interviewer:" not in first  # its start, first
    assert "more of the follow-up: PgDn" in first and "PgUp/PgDn: scroll the thread" in " ".join(first.split())
    assert "with full multi-head attention?" in " ".join(down.split()) and "PgUp ↑ for the question and your answer" in down
    assert "Interviewer: Explain in detail" in up
    for screen in (first, down, up):
        assert len(screen.splitlines()) == 14
        flat = " ".join(screen.split())
        assert "Ctrl-C: pause" in flat and "Ctrl-D" in flat and "⏱ follow-up" in screen


def test_ctrl_c_inside_a_follow_up_pauses_with_its_text_and_skipping_it_asks_first():
    turn = _follow_up_turn()
    reply = _ask([0.1, "typed so far", 0.1, "\x03"], turn)
    assert reply.pause and reply.text == "typed so far"
    (screen,) = _show(_follow_up_turn(), 80, 24, [0.2, "\x04", "snap", "n"])
    assert "skip this follow-up? It counts 0 in the question's score" in " ".join(screen.split())


@pytest.mark.timeout(30)
def test_a_chinese_follow_up_screen_is_in_chinese():
    turn = _follow_up_turn("zh", answer="分组查询注意力让一组查询头共享同一个 KV 头。")
    turn.follow_up.text = "你提到缓存变小了：32k 上下文时 KV cache 有多大？"
    (screen,) = _show(turn, 80, 24, [0.2, "snap"])
    flat = " ".join(screen.split())
    assert "第 1/5 题 · 追问 1/2" in flat and "数字" in flat and "面试官：" in screen and "你：" in screen
    assert "追问 1：你提到缓存变小了" in flat and "本追问剩余" in flat and "（含追加的 01:30）" in flat
