"""Non-interactive answers from a JSONL file, for scripts, CI and tests."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from interviewer.errors import UserError
from reports.labels import plural
from interviewer.session import Reply, Turn


#: No one types more than this in one answer; a longer line is a wrong file, not an answer.
MAX_SCRIPTED_LINE_CHARS = 4_000_000


class ScriptedLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: str
    question_id: str | None = None
    seconds: float | None = Field(default=None, ge=0)
    follow_up_answers: list[str] = Field(default_factory=list, description="Answers to the follow-ups, in order.")
    variant: str | None = Field(default=None, description="The row of a parameterised question_id to ask it with.")

    @model_validator(mode="after")
    def _variant_of_a_pinned_question(self) -> ScriptedLine:
        if self.variant is not None and not self.question_id:
            raise ValueError("a variant pins the row of the line's question_id; give the question_id too")
        return self


def read_answers(path: Path) -> list[ScriptedLine]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"cannot read answers file {path}: {e}") from None
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if len(line) > MAX_SCRIPTED_LINE_CHARS:
            raise UserError(f"{path}:{n}: line of {len(line):,} characters; an answer may have up to "
                            f"{MAX_SCRIPTED_LINE_CHARS:,}")
        try:
            out.append(ScriptedLine.model_validate(json.loads(line)))
        except json.JSONDecodeError as e:
            raise UserError(f"{path}:{n}: not valid JSON ({e.msg}); each line must be like {{\"answer\": \"...\"}}") from None
        except ValidationError as e:
            err = e.errors()[0]
            field = ".".join(map(str, err["loc"])) or "line"
            raise UserError(f"{path}:{n}: {field}: {err['msg']}; each line must be like {{\"answer\": \"...\"}}") from None
    if not out:
        raise UserError(f"answers file {path} has no answers; write one {{\"answer\": \"...\"}} per line, "
                        "in the order the questions are asked")
    return out


def length_warning(lines: list[ScriptedLine], questions: int) -> str | None:
    """What to tell the user when the file does not have one line per question."""
    n = len(lines)
    if n < questions:
        rest = questions - n
        return (f"the answers file has {plural(n, 'answer')} for {plural(questions, 'question')}: the interview ends "
                f"after the last one, and the other {plural(rest, 'question')} {'is' if rest == 1 else 'are'} not "
                "reached (left out of the score)")
    if n > questions:
        return f"the answers file has {plural(n, 'answer')} for {plural(questions, 'question')}: the last {n - questions} are not used"
    return None


def pinned_positions(lines: list[ScriptedLine]) -> dict[int, str]:
    pins = {i: ln.question_id for i, ln in enumerate(lines) if ln.question_id}
    if len(set(pins.values())) != len(pins):
        raise UserError("answers file pins the same question_id twice; each question is asked once")
    return pins  # type: ignore[return-value]


def pinned_variants(lines: list[ScriptedLine]) -> dict[int, str]:
    """Position -> the row a line asks its pinned question with."""
    return {i: ln.variant for i, ln in enumerate(lines) if ln.variant}


class ScriptedAnswers:
    """Replies in the order questions are asked. A ``seconds`` above the question's allowance is
    recorded as a time-out at the allowance, as the interactive clock would. The interview ends
    with the file's last line (after its follow-ups): questions after it are not reached, never
    recorded as 0. A line answers as many follow-ups as its ``follow_up_answers`` hold; the others
    are not asked, and an empty one is a skipped follow-up (which ends the question's thread)."""

    def __init__(self, lines: list[ScriptedLine]):
        self.lines = lines

    def answers_follow_up(self, position: int, number: int) -> bool:
        """Whether follow-up ``number`` (1-based) of the question at ``position`` has an answer."""
        return position < len(self.lines) and number <= len(self.lines[position].follow_up_answers)

    def ask(self, turn: Turn) -> Reply | None:
        if turn.position >= len(self.lines):
            return None
        line = self.lines[turn.position]
        last_line = turn.position == len(self.lines) - 1
        follow_ups = min(turn.follow_ups_planned, len(line.follow_up_answers), len(turn.question.follow_ups))
        if turn.follow_up is not None:
            n = turn.follow_up.number
            text = line.follow_up_answers[n - 1] if n <= len(line.follow_up_answers) else ""
            last = last_line and (n >= follow_ups or not text.strip())
            return Reply(text=text, seconds_used=0.0, ended="submitted" if text.strip() else "skipped", finish=last)
        last = last_line and (not follow_ups or not line.answer.strip())
        seconds = line.seconds if line.seconds is not None else 0.0
        if seconds > turn.seconds_allowed:
            return Reply(text=line.answer, seconds_used=turn.seconds_allowed, ended="timed_out", finish=last)
        ended = "submitted" if line.answer.strip() else "skipped"
        return Reply(text=line.answer, seconds_used=seconds, ended=ended, finish=last)
