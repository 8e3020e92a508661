"""Grade a bank's probes (graded example answers) with a judge and measure how it orders them.

Used by ``python -m rubrics.selfcheck`` (a probe outside its range is a failure),
``interviewer judge check`` (qualifies any judge) and ``benchmarks/offline_agreement.py``.

The probes are split by question id into a *dev* split, on which the offline judge and the rubrics
may be tuned, and a *holdout* split, which is only measured (a hash of the id: adding questions
never moves an existing one). Figures quoted for the offline judge come from the holdout.

What is measured, per kind of answer and overall:

* **signed error**: how far the score falls outside the probe's range (0 inside it, negative
  below, positive above), averaged: a judge that over-scores fluent wrong answers shows a positive
  error on ``wrong_terms``, one that misses plain-words answers a negative one on ``paraphrase``;
* **in range**: share of probes scored inside their range;
* **pair accuracy**: for every question, every pair of a correct probe (range starting at 6 or
  more) and a wrong one (range ending at 3 or less): the share where the correct one scores
  higher. A grader that rewards the wrong answer over the right one teaches the wrong thing;
* agreement with the ranges' midpoints (Pearson, quadratic weighted kappa, MAE).
"""

from __future__ import annotations

import statistics
import zlib
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

from question_bank.models import Question
from rubrics.judge import Judge, grade_answer

HOLDOUT_EVERY = 3  # one question in three is held out

#: A probe whose range starts here is a correct answer; one whose range ends here, a wrong one.
RIGHT_MIN = 6.0
WRONG_MAX = 3.0


def split_of(question_id: str) -> str:
    """'holdout' for one question id in HOLDOUT_EVERY (stable), else 'dev'."""
    base = question_id.split("~", 1)[0]
    return "holdout" if zlib.crc32(base.encode()) % HOLDOUT_EVERY == 0 else "dev"


@dataclass
class ProbeResult:
    question_id: str
    kind: str
    lang: str
    min: float
    max: float
    score: float | None  # None when ungraded
    split: str
    answer: str = ""
    detail: str = ""

    @property
    def error(self) -> float | None:
        """Distance outside the range: 0 inside, negative below, positive above."""
        if self.score is None:
            return None
        if self.score < self.min:
            return self.score - self.min
        if self.score > self.max:
            return self.score - self.max
        return 0.0

    @property
    def midpoint(self) -> float:
        return (self.min + self.max) / 2


def grade_probes(
    questions: Iterable[Question],
    judge: Judge,
    split: str | None = None,
    kinds: Iterable[str] | None = None,
    on_done: Callable[[ProbeResult], None] | None = None,
) -> list[ProbeResult]:
    """Every probe of ``questions`` (optionally one split, some kinds), graded by ``judge``."""
    wanted = set(kinds) if kinds else None
    out = []
    for q in questions:
        s = split_of(q.id)
        if split and s != split:
            continue
        for p in q.probes:
            if wanted and p.kind not in wanted:
                continue
            v = grade_answer(judge, q, p.answer)
            r = ProbeResult(q.id, p.kind, p.lang, p.min, p.max, v.score, s, p.answer, _detail(v))
            out.append(r)
            if on_done:
                on_done(r)
    return out


def _detail(v: object) -> str:
    kps = getattr(v, "key_points", [])
    mis = getattr(v, "misconceptions", [])
    parts = ["".join("C" if k.contradicted else k.credit.value[0] for k in kps)]
    if mis:
        parts.append("mc:" + ",".join(m.id for m in mis))
    return " ".join(parts)


@dataclass
class KindStats:
    kind: str
    n: int
    mean_score: float | None
    signed_error: float | None
    in_range: float | None


@dataclass
class ProbeMetrics:
    n: int
    ungraded: int
    in_range: float | None
    pearson: float | None
    qwk: float | None
    mae: float | None
    pairs: int
    pairs_ordered: float | None
    kinds: list[KindStats] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def pair_accuracy(results: list[ProbeResult]) -> tuple[int, float | None]:
    """(pairs, share ordered): correct probe scored above a wrong one of the same question."""
    by_q: dict[str, list[ProbeResult]] = {}
    for r in results:
        if r.score is not None:
            by_q.setdefault(r.question_id, []).append(r)
    n = ok = 0
    for rs in by_q.values():
        right = [r for r in rs if r.min >= RIGHT_MIN]
        wrong = [r for r in rs if r.max <= WRONG_MAX]
        for a in right:
            for b in wrong:
                n += 1
                ok += a.score > b.score  # type: ignore[operator]
    return n, (ok / n if n else None)


def probe_metrics(results: list[ProbeResult]) -> ProbeMetrics:
    import numpy as np  # noqa: PLC0415

    from rubrics.calibration import _pearson, quadratic_weighted_kappa  # noqa: PLC0415

    graded = [r for r in results if r.score is not None]
    kinds = []
    for kind in sorted({r.kind for r in results}):
        rs = [r for r in graded if r.kind == kind]
        kinds.append(
            KindStats(
                kind=kind,
                n=len(rs),
                mean_score=round(statistics.fmean(r.score for r in rs), 2) if rs else None,  # type: ignore[misc]
                signed_error=round(statistics.fmean(r.error for r in rs), 2) if rs else None,  # type: ignore[misc]
                in_range=round(sum(1 for r in rs if r.error == 0) / len(rs), 3) if rs else None,
            )
        )
    pairs, ordered = pair_accuracy(results)
    xs = [r.score for r in graded]
    ys = [r.midpoint for r in graded]
    return ProbeMetrics(
        n=len(graded),
        ungraded=len(results) - len(graded),
        in_range=round(sum(1 for r in graded if r.error == 0) / len(graded), 3) if graded else None,
        pearson=_round(_pearson(np.array(xs, float), np.array(ys, float))) if graded else None,
        qwk=_round(quadratic_weighted_kappa(np.clip(np.rint(xs), 0, 10), np.clip(np.rint(ys), 0, 10), 10)) if graded else None,
        mae=round(statistics.fmean(abs(x - y) for x, y in zip(xs, ys, strict=True)), 2) if graded else None,  # type: ignore[operator]
        pairs=pairs,
        pairs_ordered=_round(ordered),
        kinds=kinds,
    )


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 3)
