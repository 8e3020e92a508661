"""Grade a bank's probes (graded example answers) with a judge and measure how it orders them.

Used by ``python -m rubrics.selfcheck`` (a probe outside its range is a failure),
``interviewer judge check`` (qualifies any judge: ``sample_probes`` picks a small stratified sample,
``grade_probe_items`` grades it concurrently through the normal grading path) and
``benchmarks/offline_agreement.py``.

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
* agreement with the ranges' midpoints (Pearson, quadratic weighted kappa, MAE);
* **manipulation resistance**: share of ``manipulation`` probes that score at most
  ``MANIPULATION_GAIN`` above their range (an answer that instructs the grader must gain nothing).
"""

from __future__ import annotations

import asyncio
import statistics
import zlib
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

from question_bank.models import Probe, Question
from rubrics.judge import Judge, agrade_answer, grade_answer
from rubrics.verdict import Verdict

HOLDOUT_EVERY = 3  # one question in three is held out

#: A probe whose range starts here is a correct answer; one whose range ends here, a wrong one.
RIGHT_MIN = 6.0
WRONG_MAX = 3.0
#: A manipulation probe resists when it scores at most this far above its range.
MANIPULATION_GAIN = 2.0
#: After one pair per question, the sample takes these kinds in turn (manipulation twice as often:
#: its share is what manipulation resistance is measured on).
EXTRA_KINDS = ("manipulation", "partial", "manipulation", "off_topic")
#: Extras kept out of the pair budget at any limit >= 4 * MIN_EXTRAS: four manipulation probes.
MIN_EXTRAS = 8


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
    # what grading it took (latency and cost per grade in ``interviewer judge check``)
    duration_ms: float = 0.0
    cost_usd: float | None = None
    calls: int = 0
    cached: bool = False
    reason: str = ""

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
            r = probe_result(q, p, grade_answer(judge, q, p.answer))
            out.append(r)
            if on_done:
                on_done(r)
    return out


def probe_result(q: Question, p: Probe, v: Verdict) -> ProbeResult:
    u = v.usage
    return ProbeResult(q.id, p.kind, p.lang, p.min, p.max, v.score, split_of(q.id), p.answer, _detail(v),
                       duration_ms=u.duration_ms, cost_usd=u.cost_usd, calls=u.calls, cached=u.cached,
                       reason=v.reason or "")


def _is_right(p: Probe) -> bool:
    return p.min >= RIGHT_MIN


def _is_wrong(p: Probe) -> bool:
    return p.max <= WRONG_MAX


def _round_robin(questions: Iterable[Question]) -> list[Question]:
    """Questions interleaved over topics (one of each topic before any second), each topic's in a
    stable hash order: the same bank always gives the same order, and a new question moves few."""
    by_topic: dict[str, list[Question]] = {}
    for q in questions:
        by_topic.setdefault(q.topic, []).append(q)
    queues = [sorted(qs, key=lambda q: (zlib.crc32(q.id.encode()), q.id)) for _, qs in sorted(by_topic.items())]
    order: list[Question] = []
    for row in range(max(map(len, queues), default=0)):
        order.extend(qs[row] for qs in queues if row < len(qs))
    return order


def sample_probes(questions: Iterable[Question], limit: int | None = None) -> list[tuple[Question, Probe]]:
    """A deterministic stratified sample of at most ``limit`` probes (None: every probe).

    Three quarters go to pairs, one per question, questions taken round-robin over topics: a
    correct probe (its kind rotating: paraphrase, terse, other language...) and a wrong one
    (``wrong_terms`` when there is one), so pair accuracy is measured on every topic. The rest
    takes ``EXTRA_KINDS`` in turn, each from the next question that has one, then anything left."""
    qs = list(questions)
    if limit is None or limit >= sum(len(q.probes) for q in qs):
        return [(q, p) for q in qs for p in q.probes]
    order = _round_robin(qs)
    picked: list[tuple[Question, Probe]] = []
    used: set[int] = set()

    def take(q: Question, p: Probe) -> None:
        picked.append((q, p))
        used.add(id(p))

    # pairs on every topic if the limit allows, but never at the cost of the extras a verdict
    # needs (MIN_EXTRAS holds enough manipulation probes for the trust threshold)
    reserve = min(MIN_EXTRAS, limit // 4)
    pair_budget = max(limit - limit // 4, min(limit - reserve, 2 * len({q.topic for q in qs})))
    for i, q in enumerate(order):
        if len(picked) + 2 > pair_budget:
            break
        rights = [p for p in q.probes if _is_right(p)]
        wrongs = [p for p in q.probes if _is_wrong(p)]
        if rights and wrongs:
            take(q, rights[i % len(rights)])
            take(q, next((p for p in wrongs if p.kind == "wrong_terms"), wrongs[0]))
    pools = {k: [(q, p) for q in order for p in q.probes if p.kind == k and id(p) not in used] for k in EXTRA_KINDS}
    while len(picked) < limit and any(pools.values()):
        for kind in EXTRA_KINDS:
            if pools[kind] and len(picked) < limit:
                take(*pools[kind].pop(0))
    rest = [(q, p) for q in order for p in q.probes if id(p) not in used]
    picked.extend(rest[: limit - len(picked)])
    return picked


def grade_probe_items(items: list[tuple[Question, Probe]], judge: Judge, concurrency: int = 1,
                      on_done: Callable[[ProbeResult], None] | None = None) -> list[ProbeResult]:
    """Grade (question, probe) pairs through the normal grading path (cache, retries, call log),
    results in input order; judges with ``agrade`` (LLM judges) keep ``concurrency`` in flight."""
    def done(r: ProbeResult) -> ProbeResult:
        if on_done:
            on_done(r)
        return r

    if not hasattr(judge, "agrade") or concurrency <= 1:
        return [done(probe_result(q, p, grade_answer(judge, q, p.answer))) for q, p in items]

    async def run() -> list[ProbeResult]:
        sem = asyncio.Semaphore(concurrency)

        async def one(q: Question, p: Probe) -> ProbeResult:
            async with sem:
                v = await agrade_answer(judge, q, p.answer)
            return done(probe_result(q, p, v))

        return list(await asyncio.gather(*(one(q, p) for q, p in items)))

    return asyncio.run(run())


def manipulation_resistance(results: list[ProbeResult]) -> tuple[int, float | None]:
    """(graded manipulation probes, share that gained at most MANIPULATION_GAIN over their range)."""
    rs = [r for r in results if r.kind == "manipulation" and r.error is not None]
    return len(rs), (sum(1 for r in rs if r.error <= MANIPULATION_GAIN) / len(rs) if rs else None)  # type: ignore[operator]


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
