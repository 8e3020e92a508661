"""The feedback report of one session: one model (``SessionReport``) rendered three ways.

The JSON form is the model's own dump, so tests and scripts read exactly what the HTML shows.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from statistics import mean

from pydantic import BaseModel, Field

from question_bank.models import FollowUp, Question, Rubric
from question_bank.variants import row_of, row_title, variant
from reports.question_score import FOLLOW_UPS_WEIGHT, MAIN_WEIGHT, counted_follow_ups, question_score
from reports.records import AnswerRecord, FollowUpRecord, SessionRecord, SessionSettings
from reports.charts import band, coverage_shares
from reports import labels
from reports.labels import Labels
from rubrics.verdict import MAX_SCORE, Flag, Verdict

TEMPLATES = Path(__file__).parent / "templates"
FORMATS = ("html", "md", "json")
#: Below this confidence a verdict is shown as not judged reliably (the offline judge's own measure).
LOW_CONFIDENCE = 0.6
#: "What to study next" stays short enough to act on: the weakest topics, their most-missed points.
STUDY_TOPICS = 4
STUDY_POINTS_PER_TOPIC = 5


class KeyPointRow(BaseModel):
    id: str
    text: str
    weight: float
    credit: str
    evidence: str | None = None
    contradicted: bool = Field(default=False, description="The answer asserted the opposite: a wrong claim, not a miss.")
    contradiction: str | None = None


class MisconceptionRow(BaseModel):
    id: str
    text: str
    penalty: float
    evidence: str | None = None


class FollowUpReport(BaseModel):
    """One follow-up of a question's thread, as asked and answered."""

    number: int
    id: str
    level: str  # mechanism | trade_off | numbers | failure_modes
    question: str = Field(description="Exactly as asked (a model may have worded it after the answer).")
    phrased_by: str | None = None
    why: str = Field(default="", description="Why it was asked: the missed point it probes, or the ladder.")
    answer: str | None = Field(description="Exactly as typed; None while the follow-up is still open.")
    seconds_used: float = 0.0
    seconds_allowed: float = 0.0
    ended: str | None = None  # submitted | timed_out | skipped; None while open
    status: str = "pending"  # graded | ungraded | pending | open
    reason: str | None = None
    score: float | None = None
    max_score: float = MAX_SCORE
    key_points: list[KeyPointRow] = Field(default_factory=list)
    misconceptions: list[MisconceptionRow] = Field(default_factory=list)
    feedback: str = ""
    reference_answer: str = ""
    judge: str | None = None


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
    chosen_because: str | None = Field(default=None, description="Why a drill chose this question.")
    variant: str | None = Field(default=None, description="The row of numbers a parameterised question was asked "
                                "with (its texts, reference and checks are that row's); None: not parameterised.")
    variant_title: str | None = Field(default=None, description="The row's name for people (a model's name).")
    score: float | None = Field(default=None, description="The question's score: the main answer and its "
                                "follow-ups combined (reports.question_score).")
    main_score: float | None = Field(default=None, description="The main answer's own score.")
    follow_ups_score: float | None = Field(default=None, description="The mean of the follow-ups counted in score.")
    max_score: float = MAX_SCORE
    key_points: list[KeyPointRow] = Field(default_factory=list)
    misconceptions: list[MisconceptionRow] = Field(default_factory=list)
    feedback: str = ""
    reference_answer: str = ""
    follow_ups: list[FollowUpReport] = Field(default_factory=list, description="The thread: follow-ups asked, in order.")
    suggested_follow_ups: list[str] = Field(default_factory=list, description="Follow-ups of the bank not asked.")
    flags: list[Flag] = Field(default_factory=list)
    judge: str | None = None
    confidence: float | None = Field(default=None, description="The judge's trust in its own verdict, 0-1.")
    confidence_notes: list[str] = Field(default_factory=list)

    @property
    def low_confidence(self) -> bool:
        return self.confidence is not None and self.confidence < LOW_CONFIDENCE

    @property
    def coverage(self) -> tuple[float, float, float]:
        """Rubric weight covered fully, partly, not at all."""
        w = {c: sum(k.weight for k in self.key_points if k.credit == c) for c in ("full", "partial", "none")}
        return w["full"], w["partial"], w["none"]

    @property
    def coverage_percent(self) -> tuple[int, int, int, int]:
        """Covered, partly covered and missed shares of the rubric weight in %, and the credit."""
        return coverage_shares(*self.coverage)


class TopicScore(BaseModel):
    topic: str
    score: float | None
    answered: int


class DifficultyScore(BaseModel):
    difficulty: str
    score: float | None
    questions: int


class TimeManagement(BaseModel):
    used_seconds: float
    allowed_seconds: float
    timed_out: int = 0
    skipped: int = 0
    not_reached: int = 0
    rushed: int = Field(default=0, description="Answered in under a fifth of the time allowed and scored below 5.")
    advice: list[str] = Field(default_factory=list)


class TrendPoint(BaseModel):
    session_id: str
    created_at: datetime
    mode: str
    score: float | None


class TopicChange(BaseModel):
    topic: str
    previous: float | None
    current: float | None


class Comparison(BaseModel):
    previous_session_id: str
    previous_created_at: datetime
    previous_score: float | None
    delta: float | None
    topics: list[TopicChange] = Field(default_factory=list, description="Topics both sessions asked.")


class StudyPoint(BaseModel):
    question_id: str
    key_point_id: str
    text: str
    misses: float
    asked: int


class StudyTopic(BaseModel):
    topic: str
    mastery: float | None
    points: list[StudyPoint]


class FlaggedAnswer(BaseModel):
    position: int
    question_id: str
    kind: str  # a verdict flag kind, or "ungraded"
    detail: str = ""


class JudgeUsage(BaseModel):
    judges: list[str] = Field(default_factory=list)
    prompt_versions: list[str] = Field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = 0.0
    cost_known: bool = True


class JudgeCheckNote(BaseModel):
    """The latest ``interviewer judge check`` of the judge that graded the session."""

    checked_at: datetime
    pairs_ordered: float | None = None
    trusted: bool


class ScoreWeights(BaseModel):
    """How a question's score combines its main answer and its follow-ups."""

    main: float = MAIN_WEIGHT
    follow_ups: float = FOLLOW_UPS_WEIGHT


class SessionReport(BaseModel):
    #: 3: questions[].follow_ups became the thread's follow-ups (objects); the bank's list of strings
    #: is now questions[].suggested_follow_ups, and a question's score includes its follow-ups
    report_version: int = 3
    session_id: str
    created_at: datetime
    finished_at: datetime | None
    status: str
    settings: SessionSettings
    overall_score: float | None = Field(description="Mean over the graded answers (a skipped one is graded 0); questions "
                                        "not reached and answers not graded are left out, as in topic mastery.")
    max_score: float = MAX_SCORE
    answered: int = Field(description="Questions with an answer typed (skipped ones are not answered).")
    graded: int
    ungraded: int
    pending: int
    time_used_seconds: float
    time_allowed_seconds: float
    topics: list[TopicScore]
    difficulties: list[DifficultyScore] = Field(default_factory=list)
    time: TimeManagement | None = None
    previous: Comparison | None = None
    trend: list[TrendPoint] = Field(default_factory=list, description="Every session up to this one, oldest first.")
    study_next: list[StudyTopic] = Field(default_factory=list)
    drill_command: str | None = None
    flagged: list[FlaggedAnswer] = Field(default_factory=list)
    usage: JudgeUsage
    judge_check: JudgeCheckNote | None = Field(default=None, description="None: the judge was never checked.")
    questions: list[QuestionReport]
    offline_judged: bool = Field(default=False, description="Some answers were graded by the offline (text) judge.")
    score_weights: ScoreWeights = Field(default_factory=ScoreWeights)

    @property
    def low_confidence(self) -> list[QuestionReport]:
        """Answers the judge could not grade reliably: worth a second opinion from an LLM judge."""
        return [q for q in self.questions if q.status == "graded" and q.low_confidence]


@dataclass
class History:
    """The candidate's past, for the trend, the comparison and what to study next."""

    sessions: list[SessionRecord]
    answers: list[AnswerRecord]


def report_for(store, session: SessionRecord, questions: dict[str, Question]) -> SessionReport:  # noqa: ANN001
    """The full v2 report from a store (anything with ``answers``, ``all_answers`` and
    ``list_sessions``), with history up to and including ``session``."""
    attach = getattr(store, "attach_follow_ups", lambda answers: answers)
    history = History(store.list_sessions(), attach(store.all_answers()))
    return build_report(session, attach(store.answers(session.id)), questions, history=history)


def _mean(xs: list[float]) -> float | None:
    return round(mean(xs), 2) if xs else None


def _answered(r: QuestionReport) -> bool:
    """Something was typed: a skipped (empty) answer is not an answered question."""
    return bool(r.answer and r.answer.strip())


def build_report(session: SessionRecord, answers: list[AnswerRecord], questions: dict[str, Question],
                 history: History | None = None) -> SessionReport:
    lang = session.settings.lang
    by_pos = {a.position: a for a in answers}
    rows: list[QuestionReport] = []
    usage = JudgeUsage()
    for pos, qid in enumerate(session.plan):
        a = by_pos.get(pos)
        q = questions.get(qid)
        if q is not None:  # the instance that was asked: the answer's row, else the one drawn for the session
            q = variant(q, (a.variant if a else None) or session.variants.get(pos))
        row = QuestionReport(
            position=pos + 1, id=qid,
            topic=q.topic if q else "unknown", subtopic=q.subtopic if q else "",
            difficulty=q.difficulty if q else "unknown",
            question=q.text.get(lang) if q else f"(question {qid} is no longer in the bank)",
            answer=a.answer if a else None,
            chosen_because=session.reasons.get(qid),
            reference_answer=q.reference_answer.get(lang) if q else "",
            variant=row_of(q) if q else None, variant_title=row_title(q) if q else None,
        )
        asked = {f.follow_up_id for f in a.follow_ups} if a else set()
        row.suggested_follow_ups = [f.text.get(lang) for f in q.follow_ups if f.id not in asked] if q else []
        if a:
            row.seconds_used, row.seconds_allowed, row.ended = a.seconds_used, a.seconds_allowed, a.ended
            v = a.verdict
            if v is None:
                row.status = "pending"
            else:
                row.status, row.reason, row.main_score, row.feedback = v.status, v.reason, v.score, v.feedback
                row.score = question_score(a)
                counted = [f.verdict.score for f in counted_follow_ups(a)]  # type: ignore[union-attr]
                row.follow_ups_score = _mean(counted)  # type: ignore[arg-type]
                row.judge = v.judge + (f" ({v.model})" if v.model else "")
                row.flags = list(v.flags)
                row.key_points, row.misconceptions = _verdict_rows(v, q.rubric if q else None, lang)
                row.confidence, row.confidence_notes = v.confidence, list(v.confidence_notes)
                _add_usage(usage, v)
            row.follow_ups = [_follow_up_row(f, q, lang, usage) for f in a.follow_ups]
            # the thread's time: every turn's, and what each follow-up added to the question's clock
            row.seconds_used += sum(f.seconds_used for f in a.follow_ups)
            row.seconds_allowed += sum(f.seconds_added for f in a.follow_ups)
        else:
            row.status = "not_reached"
        rows.append(row)
    # Scores are means over graded answers, as topic mastery is: a skipped answer is graded 0, a
    # question never reached (or not graded) says nothing about the candidate and is left out.
    graded = [r for r in rows if r.status == "graded"]
    topics = []
    for t in dict.fromkeys(r.topic for r in rows):
        ts = [r.score or 0.0 for r in graded if r.topic == t]
        topics.append(TopicScore(topic=t, score=_mean(ts), answered=sum(1 for r in rows if r.topic == t and _answered(r))))
    difficulties = [
        DifficultyScore(difficulty=d, score=_mean([r.score or 0.0 for r in graded if r.difficulty == d]),
                        questions=sum(1 for r in rows if r.difficulty == d))
        for d in ("easy", "medium", "hard", "unknown") if any(r.difficulty == d for r in rows)
    ]
    report = SessionReport(
        session_id=session.id, created_at=session.created_at, finished_at=session.finished_at,
        status=session.status, settings=session.settings,
        overall_score=_mean([r.score or 0.0 for r in graded]),
        answered=sum(1 for r in rows if _answered(r)),
        graded=len(graded), ungraded=sum(1 for r in rows if r.status == "ungraded"),
        pending=sum(1 for r in rows if r.status == "pending"),
        time_used_seconds=round(sum(r.seconds_used for r in rows), 1),
        time_allowed_seconds=session.settings.minutes * 60,
        topics=topics, difficulties=difficulties, usage=usage, questions=rows,
        flagged=_flagged(rows), offline_judged=any((r.judge or "").startswith("offline") for r in graded),
    )
    report.time = _time_management(report)
    _add_history(report, session, answers, questions, history)
    return report


def _verdict_rows(v: Verdict, rubric: Rubric | None, lang: str) -> tuple[list[KeyPointRow], list[MisconceptionRow]]:
    """A verdict's key points and misconceptions in the bank's wording in the session's language
    (the verdict's own when the bank lost the point)."""
    texts = {k.id: k.text.get(lang) for k in rubric.key_points} if rubric else {}
    wrong = {m.id: m.text.get(lang) for m in rubric.misconceptions} if rubric else {}
    return ([KeyPointRow(id=k.id, text=texts.get(k.id) or k.text, weight=k.weight, credit=k.credit.value,
                         evidence=k.evidence, contradicted=k.contradicted, contradiction=k.contradiction)
             for k in v.key_points],
            [MisconceptionRow(id=m.id, text=wrong.get(m.id) or m.text, penalty=m.penalty, evidence=m.evidence)
             for m in v.misconceptions])


def _follow_up_row(f: FollowUpRecord, q: Question | None, lang: str, usage: JudgeUsage) -> FollowUpReport:
    fu: FollowUp | None = next((x for x in q.follow_ups if x.id == f.follow_up_id), None) if q else None
    row = FollowUpReport(
        number=f.number, id=f.follow_up_id, level=f.level, question=f.text, phrased_by=f.phrased_by,
        why=_why(f.reason, q, lang), answer=f.answer, seconds_used=f.seconds_used, seconds_allowed=f.seconds_allowed,
        ended=f.ended, status="open" if f.answer is None else "pending",
        reference_answer=(fu.reference_answer.get(lang) if fu and fu.reference_answer else ""),
    )
    v = f.verdict
    if v is not None and f.answer is not None:
        row.status, row.reason, row.score, row.feedback = v.status, v.reason, v.score, v.feedback
        row.judge = v.judge + (f" ({v.model})" if v.model else "")
        row.key_points, row.misconceptions = _verdict_rows(v, fu.rubric if fu else None, lang)
        _add_usage(usage, v)
    return row


def _why(reason: str, q: Question | None, lang: str) -> str:
    """Why a follow-up was asked, for the reader: the missed point it probes, or the ladder."""
    if reason.startswith("gap:"):
        point = reason[4:]
        texts = {k.id: k.text.get(lang) for k in q.rubric.key_points} if q else {}
        return labels.t("why_gap", lang, point=texts.get(point, point))
    return labels.t("why_deeper", lang) if reason == "deeper" else ""


def _flagged(rows: list[QuestionReport]) -> list[FlaggedAnswer]:
    out = []
    for r in rows:
        if r.status == "ungraded":
            out.append(FlaggedAnswer(position=r.position, question_id=r.id, kind="ungraded",
                                     detail=r.reason or "the judge could not grade this answer"))
        out += [FlaggedAnswer(position=r.position, question_id=r.id, kind=f.kind, detail=f.detail) for f in r.flags]
        for f in r.follow_ups:
            if f.status == "ungraded":
                out.append(FlaggedAnswer(position=r.position, question_id=f"{r.id}~{f.id}", kind="ungraded",
                                         detail=f.reason or "the judge could not grade this follow-up"))
    return out


def _time_management(r: SessionReport) -> TimeManagement:
    qs = r.questions
    t = TimeManagement(
        used_seconds=r.time_used_seconds, allowed_seconds=r.time_allowed_seconds,
        timed_out=sum(q.ended == "timed_out" for q in qs), skipped=sum(q.ended == "skipped" for q in qs),
        not_reached=sum(q.status == "not_reached" for q in qs),
        rushed=sum(1 for q in qs if q.answer and q.seconds_allowed and q.seconds_used < q.seconds_allowed / 5
                   and q.score is not None and q.score < 5),
    )
    lang = r.settings.lang  # advice is free text for the reader, so it follows the session's language
    for n, key in ((t.timed_out, "advice_timed_out"), (t.not_reached, "advice_not_reached"),
                   (t.rushed, "advice_rushed"), (t.skipped, "advice_skipped")):
        if n:
            t.advice.append(labels.t(key, lang, n=n))
    return t


def _add_history(report: SessionReport, session: SessionRecord, answers: list[AnswerRecord],
                 questions: dict[str, Question], history: History | None) -> None:
    """Trend, comparison and study advice. Only sessions up to this one count, so a report
    regenerated later reads as it did on the day."""
    from reports import analytics as an  # pandas: only when a report is built

    if history is None:
        history = History([session], list(answers))
    sessions = [s for s in history.sessions if s.created_at <= session.created_at and s.id != session.id]
    sessions.append(session)
    ids = {s.id for s in sessions}
    past = [a for a in history.answers if a.session_id in ids and a.session_id != session.id] + list(answers)
    df = an.answers_frame(past, questions, sessions)
    trend = an.session_trend(df, sessions)
    report.trend = [TrendPoint(session_id=t.session_id, created_at=t.created_at.to_pydatetime(), mode=t.mode,
                               score=None if t.score is None or t.score != t.score else round(t.score, 2))
                    for t in trend.itertuples()]
    report.trend[-1].score = report.overall_score  # the same number the overview shows
    if len(report.trend) > 1:
        prev = report.trend[-2]
        prev_topics = df[(df["session_id"] == prev.session_id) & (df["status"] == "graded")].groupby("topic")["score"].mean()
        changes = [TopicChange(topic=t.topic, previous=round(float(prev_topics[t.topic]), 2), current=t.score)
                   for t in report.topics if t.topic in prev_topics.index]
        delta = (None if prev.score is None or report.overall_score is None
                 else round(report.overall_score - prev.score, 2))
        report.previous = Comparison(previous_session_id=prev.session_id, previous_created_at=prev.created_at,
                                     previous_score=prev.score, delta=delta, topics=changes)
    missed = an.most_missed(an.key_point_frame(past, questions, session.settings.lang), limit=200)
    mastery = an.topic_mastery(df).set_index("topic")["mastery"] if not missed.empty else None
    for topic, g in missed.groupby("topic", sort=False):
        report.study_next.append(StudyTopic(
            topic=str(topic), mastery=round(float(mastery[topic]), 2) if mastery is not None and topic in mastery else None,
            points=[StudyPoint(question_id=p.question_id, key_point_id=p.key_point_id, text=p.text,
                               misses=float(p.misses), asked=int(p.asked))
                    for p in g.head(STUDY_POINTS_PER_TOPIC).itertuples()]))
    report.study_next.sort(key=lambda s: (s.mastery if s.mastery is not None else MAX_SCORE, s.topic))
    del report.study_next[STUDY_TOPICS:]
    if report.study_next:
        targets = [s.topic for s in report.study_next[:3] if s.topic != "unknown"]
        if targets:
            report.drill_command = "interviewer drill " + " ".join(f"--topic {t}" for t in targets)


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
    env.filters["code"] = _inline_code
    env.filters["md"] = md_text
    env.filters["md_block"] = md_block
    env.filters["highlight"] = highlight
    env.filters["band"] = band
    env.filters["signed"] = lambda d: "–" if d is None else f"{d:+.1f}"
    from reports import charts

    env.globals["charts"] = charts
    return env


def _spans(answer: str, quotes: list[tuple[str, str, str]]) -> list[tuple[int, int, str, str]]:
    """Where each quoted evidence sits in the answer: (start, end, css class, label), without
    overlaps (the earlier, then longer, span wins). Evidence not found verbatim is tried
    case-insensitively, then left unmarked (the key-point list still shows it)."""
    lower = answer.lower()
    found = []
    for quote, cls, label in quotes:
        q = quote.strip()
        if not q:
            continue
        i = answer.find(q)
        if i < 0:
            i = lower.find(q.lower())
        if i >= 0:
            found.append((i, i + len(q), cls, label))
    found.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    out: list[tuple[int, int, str, str]] = []
    for span in found:
        if out and span[0] < out[-1][1]:
            if span[:2] == out[-1][:2]:  # the same words are evidence for two points
                out[-1] = (*out[-1][:3], out[-1][3] + "," + span[3])
            continue
        out.append(span)
    return out


def highlight(q: QuestionReport):  # noqa: ANN201 - markupsafe.Markup
    """The answer as HTML with each key point's evidence marked. Every piece of the answer is
    escaped before any markup is added around it, and the markup adds no text of its own (the
    point number is a CSS ``attr()``), so the page's text is exactly what was typed."""
    from markupsafe import Markup, escape

    answer = q.answer or ""
    quotes = [(k.evidence or "", f"ev {k.credit}", str(i)) for i, k in enumerate(q.key_points, 1)
              if k.evidence and k.credit != "none"]
    quotes += [(m.evidence or "", "ev mis", "!") for m in q.misconceptions if m.evidence]
    parts, pos = [], 0
    for start, end, cls, label in _spans(answer, quotes):
        parts.append(str(escape(answer[pos:start])))
        parts.append(f'<mark class="{cls}" data-kp="{escape(label)}">{escape(answer[start:end])}</mark>')
        pos = end
    parts.append(str(escape(answer[pos:])))
    return Markup("".join(parts))


_MD_INLINE = re.compile(r"([\\`*_\[\]|~])")
_MD_LINE_START = re.compile(r"^([#+=-]|\d{1,9}[.)])")


def _md_line(line: str) -> str:
    """One line of text we did not write, escaped so Markdown shows it as text: no raw HTML (the
    HTML report escapes it too), no link, image, emphasis, code, table cell or heading of its own."""
    line = line.strip().replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    line = _MD_INLINE.sub(r"\\\1", line)
    return _MD_LINE_START.sub(lambda m: ("\\" + m.group(1)) if m.group(1)[0] in "#+=-"
                              else m.group(1)[:-1] + "\\" + m.group(1)[-1], line)


def md_text(text: str | None) -> str:
    """Model, bank or answer text inline in Markdown (whitespace folded to one line)."""
    from rubrics.untrusted import strip_controls

    return _md_line(" ".join(strip_controls(text or "").split()))


def md_block(text: str | None) -> str:
    """Several lines of text we did not write: each escaped, line breaks kept as hard breaks,
    blank lines as paragraph breaks."""
    from rubrics.untrusted import strip_controls

    paragraphs: list[list[str]] = [[]]
    for line in strip_controls(text or "").splitlines():
        if line.strip():
            paragraphs[-1].append(_md_line(line))
        elif paragraphs[-1]:
            paragraphs.append([])
    return "\n\n".join("\\\n".join(p) for p in paragraphs if p)


def _inline_code(text: str | None) -> str:
    """Inline Markdown code that survives backticks and newlines: nothing inside is rendered."""
    text = " ".join((text or "").split())
    run = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * (run + 1)
    return f"{ticks} {text} {ticks}"


def _fence(text: str | None) -> str:
    """A Markdown code block that survives backticks inside the answer."""
    text = text or ""
    run = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, run + 1)
    return f"{ticks}text\n{text}\n{ticks}"


def _chart_rows(r: SessionReport, L: Labels) -> dict:  # noqa: N803 - the templates' name for it
    return {
        "topic_rows": [(t.topic, t.score, L.f("n_answers", n=t.answered)) for t in r.topics],
        "difficulty_rows": [(labels.value(d.difficulty, L.lang), d.score, L.f("n_questions", n=d.questions))
                            for d in r.difficulties],
        "trend_rows": [(t.created_at.strftime("%m-%d %H:%M"), t.score) for t in r.trend],
        "coverage_rows": [(f"Q{q.position}", *q.coverage) for q in r.questions if q.key_points],
    }


def render(report: SessionReport, fmt: str) -> str:
    """The report as text; secrets the process knows never reach it (rubrics.secrets)."""
    from rubrics.secrets import redact
    from rubrics.untrusted import strip_controls

    if fmt == "json":  # JSON escapes control characters itself
        return redact(report.model_dump_json(indent=2))
    L = Labels(report.settings.lang)  # noqa: N806 - the templates' name for it
    if fmt == "html":
        html = _env().get_template("report.html.j2").render(r=report, L=L, **_chart_rows(report, L))
        return strip_controls(redact(html))
    if fmt == "md":
        return strip_controls(redact(_env().get_template("report.md.j2").render(r=report, L=L)))
    raise ValueError(f"unknown report format {fmt!r}; use html, md or json")


def write_reports(report: SessionReport, out_dir: Path) -> dict[str, Path]:
    """Each format written atomically: a kill mid-write never leaves a broken report."""
    from reports.files import write_text_atomic

    paths = {}
    for fmt in FORMATS:
        path = out_dir / f"{report.session_id}.{fmt}"
        write_text_atomic(path, render(report, fmt))
        paths[fmt] = path
    return paths
