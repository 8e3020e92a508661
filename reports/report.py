"""The feedback report of one session: one model (``SessionReport``) rendered three ways.

The JSON form is the model's own dump, so tests and scripts read exactly what the HTML shows.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime
from pathlib import Path
from statistics import mean

from pydantic import BaseModel, Field

from question_bank.models import Question
from reports.records import AnswerRecord, SessionRecord, SessionSettings
from rubrics.verdict import MAX_SCORE, Flag

TEMPLATES = Path(__file__).parent / "templates"
FORMATS = ("html", "md", "json")


class KeyPointRow(BaseModel):
    id: str
    text: str
    weight: float
    credit: str
    evidence: str | None = None


class MisconceptionRow(BaseModel):
    id: str
    text: str
    penalty: float
    evidence: str | None = None


class QuestionReport(BaseModel):
    position: int
    id: str
    topic: str
    subtopic: str = ""
    difficulty: str
    question: str
    answer: str | None = Field(description="Exactly as typed; None when the question was not reached.")
    seconds_used: float = 0.0
    seconds_allowed: float = 0.0
    ended: str = "not_reached"  # submitted | timed_out | skipped | not_reached
    status: str = "pending"  # graded | ungraded | pending | not_reached
    reason: str | None = None
    score: float | None = None
    max_score: float = MAX_SCORE
    key_points: list[KeyPointRow] = Field(default_factory=list)
    misconceptions: list[MisconceptionRow] = Field(default_factory=list)
    feedback: str = ""
    reference_answer: str = ""
    follow_ups: list[str] = Field(default_factory=list)
    flags: list[Flag] = Field(default_factory=list)
    judge: str | None = None


class TopicScore(BaseModel):
    topic: str
    score: float | None
    answered: int


class JudgeUsage(BaseModel):
    judges: list[str] = Field(default_factory=list)
    prompt_versions: list[str] = Field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = 0.0
    cost_known: bool = True


class SessionReport(BaseModel):
    session_id: str
    created_at: datetime
    finished_at: datetime | None
    status: str
    settings: SessionSettings
    overall_score: float | None = Field(description="Mean over graded questions asked; unanswered count as 0.")
    max_score: float = MAX_SCORE
    answered: int
    graded: int
    ungraded: int
    pending: int
    time_used_seconds: float
    time_allowed_seconds: float
    topics: list[TopicScore]
    usage: JudgeUsage
    questions: list[QuestionReport]


def build_report(session: SessionRecord, answers: list[AnswerRecord], questions: dict[str, Question]) -> SessionReport:
    lang = session.settings.lang
    by_pos = {a.position: a for a in answers}
    rows: list[QuestionReport] = []
    usage = JudgeUsage()
    for pos, qid in enumerate(session.plan):
        q = questions.get(qid)
        a = by_pos.get(pos)
        row = QuestionReport(
            position=pos + 1, id=qid,
            topic=q.topic if q else "unknown", subtopic=q.subtopic if q else "",
            difficulty=q.difficulty if q else "unknown",
            question=q.text.get(lang) if q else f"(question {qid} is no longer in the bank)",
            answer=a.answer if a else None,
            reference_answer=q.reference_answer.get(lang) if q else "",
            follow_ups=[f.get(lang) for f in q.follow_ups] if q else [],
        )
        if a:
            row.seconds_used, row.seconds_allowed, row.ended = a.seconds_used, a.seconds_allowed, a.ended
            v = a.verdict
            if v is None:
                row.status = "pending"
            else:
                row.status, row.reason, row.score, row.feedback = v.status, v.reason, v.score, v.feedback
                row.judge = v.judge + (f" ({v.model})" if v.model else "")
                row.flags = list(v.flags)
                row.key_points = [KeyPointRow(id=k.id, text=k.text, weight=k.weight, credit=k.credit.value,
                                              evidence=k.evidence) for k in v.key_points]
                row.misconceptions = [MisconceptionRow(id=m.id, text=m.text, penalty=m.penalty, evidence=m.evidence)
                                      for m in v.misconceptions]
                _add_usage(usage, v)
        else:
            row.status = "not_reached"
        rows.append(row)
    graded = [r for r in rows if r.status == "graded"]
    counted = graded + [r for r in rows if r.status == "not_reached"]
    scores = [r.score or 0.0 for r in counted]
    topics = []
    for t in dict.fromkeys(r.topic for r in rows):
        ts = [r.score or 0.0 for r in counted if r.topic == t]
        topics.append(TopicScore(topic=t, score=round(mean(ts), 2) if ts else None,
                                 answered=sum(1 for r in rows if r.topic == t and r.answer is not None)))
    return SessionReport(
        session_id=session.id, created_at=session.created_at, finished_at=session.finished_at,
        status=session.status, settings=session.settings,
        overall_score=round(mean(scores), 2) if scores else None,
        answered=sum(1 for r in rows if r.answer is not None),
        graded=len(graded), ungraded=sum(1 for r in rows if r.status == "ungraded"),
        pending=sum(1 for r in rows if r.status == "pending"),
        time_used_seconds=round(sum(r.seconds_used for r in rows), 1),
        time_allowed_seconds=session.settings.minutes * 60,
        topics=topics, usage=usage, questions=rows,
    )


def _add_usage(usage: JudgeUsage, v) -> None:  # noqa: ANN001 - a Verdict
    name = v.judge + (f":{v.model}" if v.model else "")
    if name not in usage.judges:
        usage.judges.append(name)
    if v.prompt_version and v.prompt_version not in usage.prompt_versions:
        usage.prompt_versions.append(v.prompt_version)
    usage.prompt_tokens += v.usage.prompt_tokens
    usage.completion_tokens += v.usage.completion_tokens
    if v.usage.calls and not v.usage.cached:
        if v.usage.cost_usd is None:
            usage.cost_known = False
        else:
            usage.cost_usd = (usage.cost_usd or 0.0) + v.usage.cost_usd


@functools.lru_cache(maxsize=1)
def _env():  # noqa: ANN202 - jinja2 is only needed when rendering
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
    )
    env.filters["mmss"] = lambda s: f"{int(s or 0) // 60}:{int(s or 0) % 60:02d}"
    env.filters["score"] = lambda s: "–" if s is None else f"{s:.1f}"
    env.filters["fence"] = _fence
    return env


def _fence(text: str | None) -> str:
    """A Markdown code block that survives backticks inside the answer."""
    text = text or ""
    run = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, run + 1)
    return f"{ticks}text\n{text}\n{ticks}"


def render(report: SessionReport, fmt: str) -> str:
    if fmt == "json":
        return report.model_dump_json(indent=2)
    if fmt == "html":
        return _env().get_template("report.html.j2").render(r=report)
    if fmt == "md":
        return _env().get_template("report.md.j2").render(r=report)
    raise ValueError(f"unknown report format {fmt!r}; use html, md or json")


def write_reports(report: SessionReport, out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for fmt in FORMATS:
        path = out_dir / f"{report.session_id}.{fmt}"
        path.write_text(render(report, fmt), encoding="utf-8")
        paths[fmt] = path
    return paths
