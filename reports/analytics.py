"""Analytics over the answer history, with pandas (import this module lazily: it pulls pandas in).

Topic mastery
-------------
A plain mean per topic is misleading twice over: a topic seen once is judged on one answer, and
an answer from two months ago weighs as much as yesterday's. Mastery therefore is a
recency-weighted mean shrunk toward the candidate's overall mean::

    w_i       = 0.5 ** (age_i / H)             age_i: days between answer i and the newest answer
    mu        = sum_all(w_i * s_i) / sum_all(w_i)               the overall (weighted) mean
    mastery_t = (sum_t(w_i * s_i) + K * mu) / (sum_t(w_i) + K)

with half-life ``H = 14`` days and prior strength ``K = 3`` pseudo-answers. A topic with one bad
answer moves only a quarter of the way from ``mu`` toward it, while a topic answered badly again
and again sinks to its own mean. Scores are the verdicts' 0-10 scores; ungraded answers are left
out (a judge failure says nothing about the candidate); skipped or empty answers count as 0. A
question's score includes its follow-ups (``reports.question_score``), so what the follow-ups
revealed moves mastery too, and the key points they missed join "what to study next".
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

import pandas as pd

from question_bank.models import Question
from reports.question_score import counted_follow_ups, question_score
from reports.records import AnswerRecord, SessionRecord

HALF_LIFE_DAYS = 14.0
PRIOR_STRENGTH = 3.0

ANSWER_COLUMNS = [
    "answer_id", "session_id", "session_created_at", "mode", "position", "question_id", "variant", "topic",
    "subtopic", "difficulty", "submitted_at", "seconds_used", "seconds_allowed", "ended", "status", "score", "main_score",
    "follow_ups", "follow_ups_score", "max_score",
    "key_points_full", "key_points_partial", "key_points_missed", "misconceptions", "flags", "judge", "model",
    "prompt_version", "prompt_tokens", "completion_tokens", "cost_usd", "answer", "feedback", "reason",
    "verdict_json",
]


def answers_frame(answers: Iterable[AnswerRecord], questions: dict[str, Question],
                  sessions: Iterable[SessionRecord] = (), with_verdicts: bool = False) -> pd.DataFrame:
    """One row per answer with its latest verdict; the shape ``export`` writes and the rest reads.
    ``score`` is the question's (its follow-ups included), ``main_score`` the main answer's own.
    ``verdict_json`` (the whole verdict) is filled only ``with_verdicts``: it costs more than
    everything else together and only the export needs it."""
    by_session = {s.id: s for s in sessions}
    rows = []
    for a in answers:
        q = questions.get(a.question_id)
        s = by_session.get(a.session_id)
        v = a.verdict
        credits = [k.credit.value for k in v.key_points] if v else []
        rows.append({
            "answer_id": a.id, "session_id": a.session_id,
            "session_created_at": s.created_at if s else None, "mode": s.settings.mode if s else None,
            "position": a.position, "question_id": a.question_id, "variant": a.variant,
            "topic": q.topic if q else "unknown", "subtopic": q.subtopic if q else "",
            "difficulty": q.difficulty if q else "unknown",
            "submitted_at": a.submitted_at, "seconds_used": a.seconds_used, "seconds_allowed": a.seconds_allowed,
            "ended": a.ended, "status": v.status if v else "pending", "score": question_score(a),
            "main_score": v.score if v else None, "follow_ups": len(a.follow_ups),
            "follow_ups_score": _mean_or_none([f.verdict.score for f in counted_follow_ups(a)]),  # type: ignore[union-attr]
            "max_score": v.max_score if v else 10.0,
            "key_points_full": credits.count("full"), "key_points_partial": credits.count("partial"),
            "key_points_missed": credits.count("none"),
            "misconceptions": len(v.misconceptions) if v else 0,
            "flags": ",".join(f.kind for f in v.flags) if v else "",
            "judge": v.judge if v else None, "model": v.model if v else None,
            "prompt_version": v.prompt_version if v else None,
            "prompt_tokens": v.usage.prompt_tokens if v else 0,
            "completion_tokens": v.usage.completion_tokens if v else 0,
            "cost_usd": v.usage.cost_usd if v else None,
            "answer": a.answer, "feedback": v.feedback if v else "", "reason": v.reason if v else None,
            "verdict_json": v.model_dump_json() if v and with_verdicts else None,
        })
    df = pd.DataFrame(rows, columns=ANSWER_COLUMNS)
    for col in ("submitted_at", "session_created_at"):
        df[col] = pd.to_datetime(df[col], utc=True)
    df["score"] = pd.to_numeric(df["score"], errors="coerce").astype("float64")
    return df.sort_values(["submitted_at", "session_id", "position"], kind="stable").reset_index(drop=True)


def _mean_or_none(xs: list) -> float | None:
    return round(sum(xs) / len(xs), 2) if xs else None


def _graded(df: pd.DataFrame) -> pd.DataFrame:
    return df[(df["status"] == "graded") & df["score"].notna()]


def recency_weights(submitted_at: pd.Series, as_of: datetime | pd.Timestamp | None = None,
                    half_life_days: float = HALF_LIFE_DAYS) -> pd.Series:
    ref = pd.Timestamp(as_of) if as_of is not None else submitted_at.max()
    if ref.tzinfo is None:
        ref = ref.tz_localize("UTC")
    age_days = ((ref - submitted_at).dt.total_seconds() / 86400.0).clip(lower=0)
    return 0.5 ** (age_days / half_life_days)


def overall_mean(df: pd.DataFrame, as_of: datetime | None = None) -> float | None:
    g = _graded(df)
    if g.empty:
        return None
    w = recency_weights(g["submitted_at"], as_of)
    return float((w * g["score"]).sum() / w.sum())


def topic_mastery(df: pd.DataFrame, as_of: datetime | None = None, half_life_days: float = HALF_LIFE_DAYS,
                  prior_strength: float = PRIOR_STRENGTH) -> pd.DataFrame:
    """Per topic: mastery (see the module docstring), answers, plain mean, last score and the change
    of the latest session's mean against the topic's earlier answers; strongest first."""
    cols = ["topic", "mastery", "answers", "mean", "last", "change", "last_at"]
    g = _graded(df).copy()
    if g.empty:
        return pd.DataFrame(columns=cols)
    g["w"] = recency_weights(g["submitted_at"], as_of, half_life_days)
    g["ws"] = g["w"] * g["score"]
    mu = g["ws"].sum() / g["w"].sum()
    agg = g.groupby("topic").agg(ws=("ws", "sum"), w=("w", "sum"), answers=("score", "size"),
                                 mean=("score", "mean"), last=("score", "last"), last_at=("submitted_at", "max"))
    agg["mastery"] = (agg["ws"] + prior_strength * mu) / (agg["w"] + prior_strength)
    agg["change"] = g.groupby("topic")[["session_id", "score"]].apply(_latest_change)
    out = agg.reset_index()[cols]
    return out.sort_values(["mastery", "topic"], ascending=[False, True], kind="stable").reset_index(drop=True)


def _latest_change(g: pd.DataFrame) -> float | None:
    """Mean of the topic's answers in its latest session minus the mean of its earlier ones."""
    last_session = g["session_id"].iloc[-1]
    now = g[g["session_id"] == last_session]["score"]
    before = g[g["session_id"] != last_session]["score"]
    return float(now.mean() - before.mean()) if len(before) else float("nan")


def session_trend(df: pd.DataFrame, sessions: Iterable[SessionRecord]) -> pd.DataFrame:
    """One row per session, oldest first, scored as the report scores it: the mean over graded
    answers (questions never reached are left out, as in topic mastery). ``answered`` counts the
    questions with something typed (a skipped answer is not answered); ``pending`` counts answers not
    graded yet (say, the process was killed while grading them)."""
    cols = ["session_id", "created_at", "mode", "status", "questions", "answered", "graded", "pending", "score", "topics"]
    out = pd.DataFrame([{"session_id": s.id, "created_at": s.created_at, "mode": s.settings.mode, "status": s.status,
                         "questions": len(s.plan)} for s in sessions],
                       columns=["session_id", "created_at", "mode", "status", "questions"])
    g = _graded(df)
    typed = df[df["answer"].fillna("").str.strip() != ""]
    per = pd.DataFrame({
        "answered": typed.groupby("session_id").size(),
        "graded": g.groupby("session_id").size(),
        "score": g.groupby("session_id")["score"].mean(),
        "pending": df[df["status"] == "pending"].groupby("session_id").size(),
        "topics": df.groupby("session_id")["topic"].agg(lambda t: ", ".join(sorted(set(t)))),
    })
    out = out.join(per, on="session_id")
    out[["answered", "graded", "pending"]] = out[["answered", "graded", "pending"]].fillna(0).astype(int)
    out["topics"] = out["topics"].fillna("")
    out["score"] = out["score"].astype("float64")
    out["created_at"] = pd.to_datetime(out["created_at"], utc=True)
    return out.sort_values("created_at", kind="stable").reset_index(drop=True)[cols]


def key_point_frame(answers: Iterable[AnswerRecord], questions: dict[str, Question], lang: str = "en") -> pd.DataFrame:
    """One row per (graded answer, key point): the raw material of 'what to study next'. The text is
    the bank's, in ``lang``, when the bank still has the point; else what the verdict recorded.
    A follow-up's key points count too, under the follow-up's own id (``question~follow-up``)."""
    rows = []

    def add(question_id: str, topic: str, v, texts: dict[str, str], at: datetime) -> None:  # noqa: ANN001
        for k in v.key_points:
            rows.append({"question_id": question_id, "topic": topic, "key_point_id": k.id,
                         "text": texts.get(k.id) or k.text or k.id, "credit": k.credit.value, "weight": k.weight,
                         "submitted_at": at})

    for a in answers:
        v = a.verdict
        if v is None or v.status != "graded":
            continue
        q = questions.get(a.question_id)
        topic = q.topic if q else "unknown"
        add(a.question_id, topic, v, {k.id: k.text.get(lang) for k in q.rubric.key_points} if q else {}, a.submitted_at)
        for f in counted_follow_ups(a):  # a follow-up's points, under its own id (question~follow-up)
            fu = next((x for x in q.follow_ups if x.id == f.follow_up_id), None) if q else None
            add(f.gradable_id, topic, f.verdict, {k.id: k.text.get(lang) for k in fu.rubric.key_points} if fu else {},
                f.submitted_at or a.submitted_at)
    df = pd.DataFrame(rows, columns=["question_id", "topic", "key_point_id", "text", "credit", "weight", "submitted_at"])
    df["submitted_at"] = pd.to_datetime(df["submitted_at"], utc=True)
    return df


def most_missed(kp: pd.DataFrame, limit: int = 12) -> pd.DataFrame:
    """Key points missed most often (a partial counts half), leaving out those the latest answer
    covered in full: a point you have since learned is not advice any more."""
    cols = ["topic", "question_id", "key_point_id", "text", "misses", "asked", "last_credit", "weight"]
    if kp.empty:
        return pd.DataFrame(columns=cols)
    kp = kp.sort_values("submitted_at", kind="stable").copy()
    kp["miss"] = kp["credit"].map({"none": 1.0, "partial": 0.5, "full": 0.0})
    agg = kp.groupby(["topic", "question_id", "key_point_id"], sort=False).agg(
        text=("text", "last"), misses=("miss", "sum"), asked=("miss", "size"), last_credit=("credit", "last"),
        weight=("weight", "last"), last_at=("submitted_at", "max"))
    agg = agg[(agg["misses"] > 0) & (agg["last_credit"] != "full")].reset_index()
    agg = agg.sort_values(["misses", "weight", "last_at"], ascending=[False, False, False], kind="stable")
    return agg.head(limit)[cols].reset_index(drop=True)


def export_records(df: pd.DataFrame) -> list[dict]:
    """Rows for JSON export, with the verdict as a nested object rather than a string."""
    out = []
    for rec in json.loads(df.to_json(orient="records", date_format="iso")):
        vj = rec.pop("verdict_json")
        rec["verdict"] = json.loads(vj) if vj else None
        out.append(rec)
    return out
