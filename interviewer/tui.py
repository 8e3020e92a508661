"""The terminal interview: one prompt_toolkit application per question or follow-up, with a live
countdown. A follow-up shows the thread so far (the question, your answer, earlier follow-ups and
answers) above it, scrolled so that the follow-up itself is in view.

When the question's (or the interview's) time runs out, whatever is in the editor is submitted as
it stands, exactly as a real interviewer would take the answer you have so far. A key that would
lose credit asks first: submitting an empty editor, skipping with text typed (which is then
submitted and graded, never scored 0 unseen) and finishing the interview early.

The screen fits small terminals: text wraps at word boundaries, a question taller than its share
of the screen scrolls (PgUp/PgDn), and every key stays listed at 80x24.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import sys
import time
from collections.abc import Callable
from typing import Protocol

from prompt_toolkit.application import Application, get_app
from prompt_toolkit.filters import Condition
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.keys import Keys
from prompt_toolkit.layout import ConditionalContainer, Dimension, HSplit, Layout, Window
from prompt_toolkit.layout.controls import FormattedTextControl
from prompt_toolkit.output import Output, create_output
from prompt_toolkit.styles import Style
from prompt_toolkit.widgets import TextArea

from interviewer.screen_text import TEXT
from interviewer.session import FollowUpAsk, Reply, Turn
from interviewer.wrap import WordWrap, WrappedText, wrap_fragments
from reports import labels
from reports.labels import plural, value


STYLE = Style.from_dict(
    {
        "header": "bold",
        "meta": "ansicyan",
        "clock": "ansigreen bold",
        "clock.low": "ansired bold",
        "status": "ansiyellow",
        "status.bad": "ansired bold",
        "help": "reverse",
        "confirm": "ansiyellow reverse bold",
        "question": "",
        "rule": "ansibrightblack",
        "who": "bold",
        "thread": "ansibrightblack",
        "follow-up": "bold",
    }
)

_CJK_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[^\s\u3400-\u9fff\uf900-\ufaff]+")


def t(key: str, lang: str, **fields: object) -> str:
    return labels.t(key, lang, TEXT, **fields)


def count_text(text: str, lang: str) -> str:
    """How much is written: words in English; in Chinese, characters (字), an English word counting one."""
    words, chars = len(_WORD.findall(text)), len(_CJK_CHAR.findall(text))
    if lang == "zh":
        return f"已写 {words + chars} 字"
    return plural(words, "word") + (f" + {chars} 字" if chars else "")


def _fitted(text: Callable[[], list[tuple[str, str]]], style: str = "") -> Window:
    """A window exactly as tall as its text wrapped to the terminal's width: the clock, the judge's
    status, the keys and a question asking for y are never cut, whatever the terminal's size; the
    question and the editor share what is left."""
    control = WrappedText(text)
    return Window(control, style=style,
                  height=lambda: Dimension.exact(control.row_count(get_app().output.get_size().columns)))


def _mmss(seconds: float) -> str:
    seconds = max(0, int(seconds + 0.999))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def _thread(fu: FollowUpAsk, lang: str, asked: bool = True) -> list[tuple[str, str]]:
    """The exchange so far, then (``asked``) the follow-up being asked, on a line of its own."""
    out: list[tuple[str, str]] = []
    for i, (question, answered) in enumerate(fu.thread):
        who = t("interviewer", lang) if i == 0 else t("asks_follow_up", lang, k=i)
        out += [("class:who", who), ("class:thread", question + "\n"),
                ("class:who", t("you", lang)), ("class:thread", (answered.strip() or t("no_answer", lang)) + "\n")]
    if asked:
        out += [("class:who", t("asks_follow_up", lang, k=fu.number)), ("class:follow-up", fu.text)]
    return out


class StatusLine(Protocol):
    """What the screen shows under the clock (interviewer.judge_loader.JudgeStatus)."""

    state: str  # "failed" is shown as a problem

    def line(self, lang: str) -> str: ...


class TerminalAnswers:
    """Interactive answer source. ``input``/``output`` are injectable so tests can drive the real
    application through a pipe; ``status`` is the judge's line shown under the clock."""

    def __init__(self, input: Input | None = None, output: Output | None = None, tick: float = 0.25,
                 autosave: float = 3.0, status: StatusLine | None = None):
        self.input = input
        # bound to the terminal now: litellm's import (on the judge loader's thread) swaps sys.stdout
        # for a few seconds, and an output created then would draw the interview into nowhere
        self.output = output or create_output(stdout=sys.stdout)
        self.tick = tick
        self.autosave = autosave  # seconds between draft saves (the time spent is saved even when idle)
        self.status = status
        self.lang = "en"

    def saved(self, record) -> None:  # noqa: ANN001 - an AnswerRecord, already committed
        """Say so only once the answer is really on disk."""
        from prompt_toolkit import print_formatted_text
        from prompt_toolkit.formatted_text import FormattedText

        key = record.ended if record.ended in ("timed_out", "skipped") else "saved"
        number = getattr(record, "number", None)  # a follow-up's
        text = t(key + "_follow_up", self.lang, n=record.position + 1, k=number) if number else \
            t(key, self.lang, n=record.position + 1)
        print_formatted_text(FormattedText([("ansigreen", " " + text + "\n")]), output=self.output)

    def ask(self, turn: Turn) -> Reply:
        """The reply, already on disk when ``turn.commit`` is given: a submitted answer leaves the
        screen only once it is saved. When the disk refuses a draft or the answer (full disk), the
        text stays in the editor, the status line says it is not saved, the clock keeps running and
        the save is retried every ``autosave`` seconds (Ctrl-D retries at once)."""
        q = turn.question
        fu = turn.follow_up
        lang = self.lang = turn.lang
        started = time.monotonic()
        deadline = started + turn.seconds_allowed
        interview_deadline = started + turn.interview_seconds_left
        questions_after = turn.total - turn.position - 1
        editor = TextArea(text=turn.draft, multiline=True, wrap_lines=True, scrollbar=True, focus_on_click=True,
                          height=Dimension(min=3, preferred=14, max=24), input_processors=[WordWrap()])
        editor.buffer.cursor_position = len(turn.draft)
        pending: list[tuple[str, Callable[[], None]]] = []  # a question waiting for y: (its text, what y does)
        saving = _Saving()

        def result(ended: str, **kw: bool) -> Reply:
            return Reply(text=editor.text, seconds_used=time.monotonic() - started, ended=ended, **kw)  # type: ignore[arg-type]

        def header() -> list[tuple[str, str]]:
            level = labels.level(fu.level, lang) if fu else ""
            meta = " · ".join(x for x in (q.topic, q.subtopic, value(q.difficulty, lang), level) if x)
            title = (t("follow_up", lang, n=turn.position + 1, total=turn.total, k=fu.number, planned=fu.planned) if fu
                     else t("question", lang, n=turn.position + 1, total=turn.total))
            return [("class:header", " " + title + " "), ("class:meta", " " + meta)]

        # a follow-up comes at the end of its thread: in view first, the thread above it a PgUp away
        question = WrappedText(lambda: _thread(fu, lang) if fu else [("class:question", q.text.get(lang))],
                               start_at=(lambda width: len(wrap_fragments(_thread(fu, lang, asked=False), width)) - 1)
                               if fu else None)

        def rule() -> list[tuple[str, str]]:
            if question.hidden_below:
                return [("class:status", t("more_thread" if fu else "more", lang))]
            if question.hidden_above:
                return [("class:rule", t("above_thread" if fu else "above", lang))]
            return []

        def clock() -> list[tuple[str, str]]:
            now = time.monotonic()
            left_q, left_all = deadline - now, interview_deadline - now
            style = "class:clock.low" if min(left_q, left_all) < 30 else "class:clock"
            words = {"q": _mmss(left_q), "all": _mmss(left_all), "count": count_text(editor.text, lang)}
            if fu:
                return [(style, " " + t("clock_follow_up", lang, added=_mmss(fu.seconds_added), **words))]
            return [(style, " " + t("clock", lang, **words))]

        def status() -> list[tuple[str, str]]:
            if self.status is None:
                return []
            bad = self.status.state == "failed"
            return [("class:status.bad" if bad else "class:status", " " + self.status.line(lang))]

        def help_line() -> list[tuple[str, str]]:
            if pending:
                return [("class:confirm", " " + pending[-1][0] + " ")]
            scroll = t("scroll_thread" if fu else "scroll", lang) if question.hidden_above or question.hidden_below else ""
            return [("class:help", " " + t("keys", lang) + scroll + " ")]

        def ask_first(text: str, then: Callable[[], None]) -> None:
            pending.append((text, then))

        def exit_with(reply: Reply) -> None:
            if not app.is_done:
                app.exit(result=reply)

        def leave(reply: Reply) -> None:
            """Hand the reply over: at once without ``turn.commit``, else once it is on disk."""
            if turn.commit is None:
                app.exit(result=reply)
                return
            if saving.held is not None:  # a retry: the candidate's latest choice, the first submit's time
                reply.seconds_used = saving.held.seconds_used
            saving.held = reply
            app.create_background_task(commit())

        async def commit() -> None:
            held = saving.held
            if held is None or saving.busy or app.is_done:
                return
            saving.busy = True
            reply = dataclasses.replace(held, text=editor.text)  # what the editor holds now
            try:
                reply.record = await asyncio.get_running_loop().run_in_executor(None, turn.commit, reply)
            except Exception as e:  # noqa: BLE001 - anything the disk says: keep the text, retry
                saving.failed(f"answer NOT saved ({_reason(e)}); your text stays here, retrying every "
                              f"{self.autosave:g} s · Ctrl-D: retry now · Ctrl-C: pause, text kept in a file", self.autosave)
                return
            finally:
                saving.busy = False
            if not app.is_done and app.is_running:
                app.exit(result=reply)

        kb = KeyBindings()
        waiting = Condition(lambda: bool(pending))

        @kb.add(Keys.Any, filter=waiting, eager=True)
        @kb.add("enter", filter=waiting, eager=True)
        @kb.add("escape", filter=waiting, eager=True)
        def _answer(event) -> None:  # noqa: ANN001
            _text, then = pending.pop()
            pending.clear()
            if event.data in ("y", "Y"):
                then()

        @kb.add("c-d", filter=~waiting)
        @kb.add("escape", "enter", filter=~waiting)
        def _submit(event) -> None:  # noqa: ANN001
            if editor.text.strip():
                leave(result("submitted"))
            else:
                ask_first(t("confirm_empty_follow_up" if fu else "confirm_empty", lang), lambda: leave(result("skipped")))

        @kb.add("c-n", filter=~waiting)
        def _skip(event) -> None:  # noqa: ANN001
            if editor.text.strip():
                ask_first(t("confirm_skip_follow_up" if fu else "confirm_skip", lang), lambda: leave(result("submitted")))
            else:
                leave(result("skipped"))

        @kb.add("c-q", filter=~waiting)
        def _finish(event) -> None:  # noqa: ANN001
            def finish() -> None:
                leave(result("submitted" if editor.text.strip() else "skipped", finish=True))

            if questions_after:
                left = t("left", lang, n=questions_after, are="is" if questions_after == 1 else "are")
                ask_first(t("confirm_finish", lang, left=left), finish)
            else:
                finish()

        @kb.add("c-c")
        def _pause(event) -> None:  # noqa: ANN001
            exit_with(result("submitted", pause=True))

        @kb.add("pagedown")
        def _down(event) -> None:  # noqa: ANN001
            question.scroll(max(1, question_window.render_info.window_height - 1) if question_window.render_info else 1)

        @kb.add("pageup")
        def _up(event) -> None:  # noqa: ANN001
            question.scroll(-max(1, question_window.render_info.window_height - 1) if question_window.render_info else -1)

        question_window = Window(question, height=Dimension(min=1), dont_extend_height=True)
        layout = Layout(
            HSplit(
                [
                    _fitted(header),
                    question_window,
                    Window(FormattedTextControl(rule), height=1, char="─", style="class:rule"),
                    editor,
                    _fitted(clock),
                    ConditionalContainer(_fitted(status), filter=Condition(lambda: self.status is not None)),
                    ConditionalContainer(
                        Window(FormattedTextControl(lambda: [("class:clock.low", f" ⚠ {saving.problem}")]),
                               height=Dimension(min=1, max=3), wrap_lines=True, dont_extend_height=True),
                        filter=Condition(lambda: saving.problem is not None),
                    ),
                    _fitted(help_line, style="class:help"),
                ]
            ),
            focused_element=editor,
        )
        app: Application[Reply] = Application(
            layout=layout, key_bindings=kb, style=STYLE, full_screen=False, mouse_support=False,
            input=self.input, output=self.output, refresh_interval=self.tick, erase_when_done=False,
        )

        async def watch_clock() -> None:
            next_save = time.monotonic() + self.autosave
            while not app.is_done:
                await asyncio.sleep(self.tick / 2)
                now = time.monotonic()
                if saving.held is not None:  # an answer waits for the disk: retry it, nothing else
                    if now >= saving.retry_at and not saving.busy:
                        await commit()
                    continue
                if now >= min(deadline, interview_deadline):
                    if not app.is_done and app.is_running:
                        leave(result("timed_out"))
                    continue
                if turn.save_draft is not None and now >= next_save:
                    # the time spent is saved even when the text has not changed, so a crash gives
                    # back no more than a few seconds of the clock; off the UI thread: an fsync
                    # must not stall typing
                    text, next_save = editor.text, now + self.autosave
                    try:
                        await asyncio.get_running_loop().run_in_executor(None, turn.save_draft, text, now - started)
                    except Exception as e:  # noqa: BLE001 - the clock must outlive any disk trouble
                        saving.failed(f"not saved ({_reason(e)}); retrying every {self.autosave:g} s, your text "
                                      "stays here", self.autosave)
                        continue

                    saving.problem = None

        app.pre_run_callables.append(lambda: app.create_background_task(watch_clock()))
        return app.run()


class _Saving:
    """What the screen knows about the disk: a reply waiting to be saved, and the problem to show."""

    def __init__(self) -> None:
        self.held: Reply | None = None
        self.busy = False
        self.problem: str | None = None
        self.retry_at = 0.0

    def failed(self, problem: str, retry_in: float) -> None:
        self.problem = problem
        self.retry_at = time.monotonic() + retry_in


def _reason(e: Exception) -> str:
    return str(getattr(e, "reason", "") or e.__class__.__name__ + (f": {e}" if str(e) else ""))[:120]
