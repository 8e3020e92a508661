"""The terminal interview: one prompt_toolkit application per question, with a live countdown.

When the question's (or the interview's) time runs out, whatever is in the editor is submitted as
it stands, exactly as a real interviewer would take the answer you have so far.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time

from prompt_toolkit.application import Application
from prompt_toolkit.filters import Condition
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.layout import ConditionalContainer, Dimension, HSplit, Layout, Window
from prompt_toolkit.layout.controls import FormattedTextControl
from prompt_toolkit.output import Output
from prompt_toolkit.styles import Style
from prompt_toolkit.widgets import TextArea

from interviewer.session import Reply, Turn

KEYS_HELP = {
    "en": " Ctrl-D or Esc Enter: submit · Ctrl-N: skip · Ctrl-Q: submit and finish · Ctrl-C: pause (resume later)",
    "zh": " Ctrl-D 或 Esc Enter：提交 · Ctrl-N：跳过 · Ctrl-Q：提交并结束 · Ctrl-C：暂停（稍后 resume）",
}

STYLE = Style.from_dict(
    {
        "header": "bold",
        "meta": "ansicyan",
        "clock": "ansigreen bold",
        "clock.low": "ansired bold",
        "help": "reverse",
        "question": "",
    }
)


_WORD = re.compile(r"[\u3400-\u9fff]|[^\s\u3400-\u9fff]+")  # a Chinese character counts as a word


def _mmss(seconds: float) -> str:
    seconds = max(0, int(seconds + 0.999))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


class TerminalAnswers:
    """Interactive answer source. ``input``/``output`` are injectable so tests can drive the real
    application through a pipe."""

    def __init__(self, input: Input | None = None, output: Output | None = None, tick: float = 0.25,
                 autosave: float = 3.0):
        self.input = input
        self.output = output
        self.tick = tick
        self.autosave = autosave  # seconds between draft saves while the text changes

    def saved(self, record) -> None:  # noqa: ANN001 - an AnswerRecord, already committed
        """Say so only once the answer is really on disk."""
        from prompt_toolkit import print_formatted_text
        from prompt_toolkit.formatted_text import FormattedText

        what = {"submitted": "saved", "timed_out": "time is up: saved as typed", "skipped": "skipped"}[record.ended]
        print_formatted_text(FormattedText([("ansigreen", f" ✓ answer {record.position + 1} {what}; "
                                             "grading in the background\n")]), output=self.output)

    def ask(self, turn: Turn) -> Reply:
        """The reply, already on disk when ``turn.commit`` is given: a submitted answer leaves the
        screen only once it is saved. When the disk refuses a draft or the answer (full disk), the
        text stays in the editor, the status line says it is not saved, the clock keeps running and
        the save is retried every ``autosave`` seconds (Ctrl-D retries at once)."""
        q = turn.question
        lang = turn.lang
        started = time.monotonic()
        deadline = started + turn.seconds_allowed
        interview_deadline = started + turn.interview_seconds_left
        editor = TextArea(text=turn.draft, multiline=True, wrap_lines=True, scrollbar=True, focus_on_click=True,
                          height=Dimension(min=6, preferred=14, max=24))
        editor.buffer.cursor_position = len(turn.draft)
        saving = _Saving()

        def result(ended: str, **kw: bool) -> Reply:
            return Reply(text=editor.text, seconds_used=time.monotonic() - started, ended=ended, **kw)  # type: ignore[arg-type]

        def header() -> list[tuple[str, str]]:
            return [
                ("class:header", f" Question {turn.position + 1}/{turn.total} "),
                ("class:meta", f" {q.topic} · {q.subtopic or '-'} · {q.difficulty}\n\n"),
                ("class:question", q.text.get(lang) + "\n"),
            ]

        def clock() -> list[tuple[str, str]]:
            now = time.monotonic()
            left_q, left_all = deadline - now, interview_deadline - now
            style = "class:clock.low" if left_q < 30 else "class:clock"
            words = len(_WORD.findall(editor.text))
            return [
                (style, f" ⏱ {_mmss(left_q)} left for this question"),
                ("", f"   interview: {_mmss(left_all)} left   {words} words "),
            ]

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

        @kb.add("c-d")
        @kb.add("escape", "enter")
        def _submit(event) -> None:  # noqa: ANN001
            ended = "submitted" if editor.text.strip() else "skipped"
            leave(result(ended))

        @kb.add("c-n")
        def _skip(event) -> None:  # noqa: ANN001
            leave(result("skipped"))

        @kb.add("c-q")
        def _finish(event) -> None:  # noqa: ANN001
            ended = "submitted" if editor.text.strip() else "skipped"
            leave(result(ended, finish=True))

        @kb.add("c-c")
        def _pause(event) -> None:  # noqa: ANN001
            event.app.exit(result=result("submitted", pause=True))

        layout = Layout(
            HSplit(
                [
                    Window(FormattedTextControl(header), wrap_lines=True, dont_extend_height=True),
                    Window(height=1, char="─"),
                    editor,
                    Window(FormattedTextControl(clock), height=1),
                    ConditionalContainer(
                        Window(FormattedTextControl(lambda: [("class:clock.low", f" ⚠ {saving.problem}")]),
                               height=Dimension(min=1, max=3), wrap_lines=True, dont_extend_height=True),
                        filter=Condition(lambda: saving.problem is not None),
                    ),
                    Window(FormattedTextControl(lambda: [("class:help", KEYS_HELP.get(lang, KEYS_HELP["en"]))]), height=1),
                ]
            ),
            focused_element=editor,
        )
        app: Application[Reply] = Application(
            layout=layout, key_bindings=kb, style=STYLE, full_screen=False, mouse_support=False,
            input=self.input, output=self.output, refresh_interval=self.tick, erase_when_done=False,
        )

        async def watch_clock() -> None:
            saved, next_save = turn.draft, time.monotonic() + self.autosave
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
                if turn.save_draft is not None and now >= next_save and editor.text != saved:
                    text, next_save = editor.text, now + self.autosave
                    try:  # off the UI thread: an fsync must not stall typing
                        await asyncio.get_running_loop().run_in_executor(None, turn.save_draft, text, now - started)
                    except Exception as e:  # noqa: BLE001 - the clock must outlive any disk trouble
                        saving.failed(f"not saved ({_reason(e)}); retrying every {self.autosave:g} s, your text "
                                      "stays here", self.autosave)
                        continue
                    saved = text
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
