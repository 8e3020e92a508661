"""How well a judge agrees with human graders, on arbitrary human-graded JSONL data.

Each metric answers a different question a user has before trusting a judge: does it rank answers
like humans (Pearson, Spearman), does it land on the same grade (quadratic weighted kappa, exact
and adjacent agreement), how far off is it (MAE), and is it systematically harsh or lenient
(standardised mean difference). Input lines come from anywhere, so a bad line is reported with its
number and skipped, never fatal.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from question_bank.models import KeyPoint, Question, Rubric, Terms, Text
from rubrics.judge import Judge, agrade_answer, grade_answer
from rubrics.verdict import MAX_SCORE, Verdict


_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass
class CalibrationItem:
    line: int
    id: str
    question: Question
    answer: str
    score: float
    max_score: float


@dataclass
class ItemResult:
    id: str
    score: float
    max_score: float
    predicted: float | None
    status: str
    reason: str | None = None


@dataclass
class Metrics:
    n: int
    ungraded: int
    scale: float
    pearson: float | None
    spearman: float | None
    qwk: float | None
    exact: float | None
    adjacent: float | None
    mae: float | None
    smd: float | None

    def as_dict(self) -> dict:
        return asdict(self)


# --- input ---------------------------------------------------------------------------------------


def _slug(raw: str, line: int) -> str:
    s = re.sub(r"[^a-z0-9_.-]+", "-", raw.lower()).strip("-._")
    return s if s and s[0].isalnum() else f"line-{line}"


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"'{field}' must be a non-empty string")
    return value


def _key_point(i: int, text: str) -> KeyPoint:
    """A key point from bare text. Its keywords are derived from that text the same way bank
    rubrics without key points are derived from the reference, so term-matching judges (the
    offline one) can use it, not only LLMs."""
    from rubrics.derive import derive_key_points

    cjk = bool(_CJK.search(text))
    derived = derive_key_points(text, text if cjk else None, n_max=1)
    keywords = derived[0].keywords if derived else Terms()
    return KeyPoint(id=f"kp{i + 1}", text=Text(en=text), keywords=keywords)


def _key_point_texts(value: object) -> list[str]:
    """Key points as other datasets write them: a list of strings (or of {"text": ...}), or one
    string with one point per line or separated by semicolons."""
    if value is None:
        return []
    if isinstance(value, str):
        value = re.split(r"[\n;；]+", value)
    if not isinstance(value, list):
        raise ValueError("'key_points' must be a list of strings")
    out = []
    for k in value:
        if isinstance(k, dict):
            k = k.get("text")
        if not isinstance(k, str):
            raise ValueError("'key_points' must be a list of strings")
        if k.strip():
            out.append(k.strip())
    return out


def parse_line(raw: str, line: int, bank_question: Callable[[str], Question] | None = None) -> CalibrationItem:
    """One JSONL line as an item; ValueError with a short reason otherwise. A line with
    ``question_id`` is graded against that bank question's own rubric (``bank_question`` looks it
    up, raising LookupError with a message for an unknown id)."""
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as e:
        raise ValueError(f"invalid JSON ({e.msg} at column {e.colno})") from None
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object")
    if "question_id" in obj:
        return _bank_item(obj, line, bank_question)
    kps = _key_point_texts(obj.get("key_points"))
    required = ("question", "answer", "score", "max_score") + (() if kps else ("reference_answer",))
    missing = [k for k in required if k not in obj]
    if missing:
        raise ValueError(f"missing {', '.join(repr(m) for m in missing)}")
    question = _text(obj["question"], "question")
    # Data from elsewhere may carry key points but no reference answer: they are the reference then.
    reference = _text(obj["reference_answer"], "reference_answer") if "reference_answer" in obj else " ".join(kps)
    answer, score, max_score = _graded_answer(obj)
    raw_id = str(obj.get("id", f"line-{line}"))
    try:
        q = Question(
            id=_slug(raw_id, line),
            topic="calibration",
            difficulty="medium",
            text=Text(en=question),
            reference_answer=Text(en=reference),
            rubric=Rubric(key_points=[_key_point(i, k) for i, k in enumerate(kps[:12])]),
        )
    except ValidationError as e:
        raise ValueError(f"cannot build a question: {e.errors()[0]['msg']}") from None
    return CalibrationItem(line=line, id=raw_id, question=q, answer=answer, score=score, max_score=max_score)


def _graded_answer(obj: dict) -> tuple[str, float, float]:
    """(answer, score, max_score) of a line, checked."""
    missing = [k for k in ("answer", "score", "max_score") if k not in obj]
    if missing:
        raise ValueError(f"missing {', '.join(repr(m) for m in missing)}")
    answer = obj["answer"]
    if not isinstance(answer, str):
        raise ValueError("'answer' must be a string")
    try:
        score = float(obj["score"])
        max_score = float(obj["max_score"])
    except (TypeError, ValueError):
        raise ValueError("'score' and 'max_score' must be numbers") from None
    if not (math.isfinite(score) and math.isfinite(max_score)) or max_score <= 0:
        raise ValueError("'max_score' must be a positive number")
    if not 0 <= score <= max_score:
        raise ValueError(f"'score' {score:g} is outside 0..{max_score:g}")
    return answer, score, max_score


def _bank_item(obj: dict, line: int, bank_question: Callable[[str], Question] | None) -> CalibrationItem:
    qid = obj["question_id"]
    if not isinstance(qid, str) or not qid.strip():
        raise ValueError("'question_id' must be a non-empty string")
    if bank_question is None:
        raise ValueError("'question_id' needs the question bank; grade this file with `interviewer calibrate`")
    try:
        q = bank_question(qid.strip())
    except LookupError as e:
        raise ValueError(str(e.args[0]) if e.args else f"unknown question id {qid!r}") from None
    answer, score, max_score = _graded_answer(obj)
    return CalibrationItem(line=line, id=str(obj.get("id", f"line-{line}")), question=q, answer=answer, score=score, max_score=max_score)


def load_items(path: Path, bank_question: Callable[[str], Question] | None = None) -> tuple[list[CalibrationItem], list[str]]:
    """Items and one 'line N: why' message per skipped line. Lines with ``question_id`` are graded
    against the bank question ``bank_question`` returns."""
    items: list[CalibrationItem] = []
    problems: list[str] = []
    with path.open(encoding="utf-8", errors="replace") as f:
        for n, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                items.append(parse_line(raw, n, bank_question))
            except ValueError as e:
                problems.append(f"line {n}: {e}; skipped")
    return items, problems


# --- grading ---------------------------------------------------------------------------------------


def item_result(item: CalibrationItem, v: Verdict) -> ItemResult:
    predicted = None if v.score is None else round(v.score / MAX_SCORE * item.max_score, 4)
    return ItemResult(item.id, item.score, item.max_score, predicted, v.status, v.reason)


def grade_items(items: list[CalibrationItem], judge: Judge, concurrency: int = 1,
                on_done: Callable[[ItemResult], None] | None = None) -> list[ItemResult]:
    """Results in input order. LLM judges run concurrently (threads share the judge's own limit)."""
    def one(item: CalibrationItem) -> ItemResult:
        res = item_result(item, grade_answer(judge, item.question, item.answer))
        if on_done:
            on_done(res)
        return res

    if concurrency <= 1:
        return [one(it) for it in items]
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="calibrate") as pool:
        return list(pool.map(one, items))


async def agrade_items(items: list[CalibrationItem], judge: Judge, concurrency: int = 8,
                       on_done: Callable[[ItemResult], None] | None = None) -> list[ItemResult]:
    """Async twin for judges with ``agrade`` (no thread per in-flight request)."""
    sem = asyncio.Semaphore(max(1, concurrency))

    async def one(item: CalibrationItem) -> ItemResult:
        async with sem:
            v = await agrade_answer(judge, item.question, item.answer)
        res = item_result(item, v)
        if on_done:
            on_done(res)
        return res

    return list(await asyncio.gather(*(one(it) for it in items)))


# --- metrics ---------------------------------------------------------------------------------------


def _pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    if len(x) < 2 or np.std(x) == 0 or np.std(y) == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (ties share the mean of their positions), as Spearman needs."""
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x), dtype=float)
    sx = x[order]
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and sx[j + 1] == sx[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(x: np.ndarray, y: np.ndarray) -> float | None:
    return _pearson(_ranks(np.asarray(x, float)), _ranks(np.asarray(y, float)))


def quadratic_weighted_kappa(a: np.ndarray, b: np.ndarray, k: int) -> float | None:
    """QWK of two integer ratings on 0..k (1 = perfect, 0 = chance)."""
    a = np.asarray(a, int)
    b = np.asarray(b, int)
    if len(a) == 0:
        return None
    n = k + 1
    observed = np.zeros((n, n))
    np.add.at(observed, (a, b), 1)
    expected = np.outer(np.bincount(a, minlength=n), np.bincount(b, minlength=n)) / len(a)
    idx = np.arange(n)
    weights = (idx[:, None] - idx[None, :]) ** 2 / max(1, (n - 1) ** 2)
    denom = (weights * expected).sum()
    if denom == 0:
        return 1.0 if (weights * observed).sum() == 0 else None
    return float(1 - (weights * observed).sum() / denom)


def compute_metrics(results: list[ItemResult]) -> Metrics:
    """Metrics over the graded items, on a common integer scale (the most common max_score)."""
    graded = [r for r in results if r.predicted is not None]
    ungraded = len(results) - len(graded)
    if not results:
        return Metrics(0, 0, 0.0, None, None, None, None, None, None, None)
    maxes = [r.max_score for r in results]
    scale = max(set(maxes), key=lambda m: (maxes.count(m), m))
    if not graded:
        return Metrics(0, ungraded, scale, None, None, None, None, None, None, None)
    human = np.array([r.score / r.max_score * scale for r in graded])
    pred = np.array([r.predicted / r.max_score * scale for r in graded])  # type: ignore[operator]
    k = max(1, int(round(scale)))
    hi = np.clip(np.rint(human / scale * k), 0, k).astype(int)
    pi = np.clip(np.rint(pred / scale * k), 0, k).astype(int)
    diff = np.abs(hi - pi)
    pooled = math.sqrt((np.var(human, ddof=1) + np.var(pred, ddof=1)) / 2) if len(graded) > 1 else 0.0
    smd = float((pred.mean() - human.mean()) / pooled) if pooled > 0 else None
    return Metrics(
        n=len(graded),
        ungraded=ungraded,
        scale=scale,
        pearson=_pearson(human, pred),
        spearman=spearman(human, pred),
        qwk=quadratic_weighted_kappa(hi, pi, k),
        exact=float(np.mean(diff == 0)),
        adjacent=float(np.mean(diff <= 1)),
        mae=float(np.mean(np.abs(human - pred))),
        smd=smd,
    )


def write_items_csv(results: list[ItemResult], path: Path) -> None:
    import csv

    from rubrics.untrusted import csv_cell

    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "score", "max_score", "predicted", "status"])
        for r in results:
            w.writerow([csv_cell(r.id), f"{r.score:g}", f"{r.max_score:g}", "" if r.predicted is None else f"{r.predicted:g}",
                        r.status])
