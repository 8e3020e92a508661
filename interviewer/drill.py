"""Choosing a drill from the candidate's history: what is due, and where they are weakest.

A drill of N questions is filled in this order, never asking a question twice:

1. **Due for review** (FSRS, see ``reports.review``): up to ``DUE_SHARE`` of the slots, the
   questions you are most likely to have forgotten first.
2. **Weak topics**: topics whose mastery (``reports.analytics``) is below the candidate's overall
   mean, at most ``MAX_WEAK_TOPICS`` of them (or just the weakest when none is below). Their slots
   are shared in proportion to how far each is below the mean. Within a topic, unseen questions
   come first (seeded shuffle), then questions answered before whose key points were missed.
3. Anything left: remaining due questions, then the next topics by mastery.

With ``--topic``, everything is restricted to those topics and each of them counts as weak.
Every pick carries a one-line reason that the drill shows before it starts and the report keeps.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from interviewer.errors import UserError
from question_bank.loader import Bank, BankError
from question_bank.models import DIFFICULTIES
from reports.question_score import counted_follow_ups
from reports.records import AnswerRecord

DUE_SHARE = 0.4
MAX_WEAK_TOPICS = 3
_RANK = {d: i for i, d in enumerate(DIFFICULTIES)}


@dataclass
class Pick:
    question_id: str
    topic: str
    kind: str  # "due" | "weak" | "missed" | "fill"
    reason: str


def select_drill(bank: Bank, answers: list[AnswerRecord], count: int = 5, topics: Sequence[str] = (),
                 seed: int | None = None, now: datetime | None = None) -> list[Pick]:
    from reports import analytics as an
    from reports.review import due_reviews, replay

    if count < 1:
        raise UserError("--count must be at least 1")
    try:
        pool = bank.select(topics)
    except BankError as e:
        raise UserError(str(e)) from None
    known = [a for a in answers if a.question_id in bank.questions]
    df = an.answers_frame(known, bank.questions)
    mastery = an.topic_mastery(df)
    mu = an.overall_mean(df)
    if mu is None:
        raise UserError("no graded answers yet: a drill is chosen from your history; run `interviewer start` first")
    rng = random.Random(seed)
    wanted = set(topics)
    m = {r.topic: float(r.mastery) for r in mastery.itertuples() if not wanted or r.topic in wanted}
    for t in topics:
        m.setdefault(t, mu)  # never practised: assume the overall mean
    ranked = sorted(m, key=lambda t: (m[t], t))
    pool_ids = {q.id for q in pool}
    states = {qid: s for qid, s in replay(known).items() if qid in pool_ids}
    now = now or datetime.now(timezone.utc)
    due = due_reviews(states, now)

    picks: list[Pick] = []
    taken: set[str] = set()

    def take(p: Pick) -> None:
        picks.append(p)
        taken.add(p.question_id)

    for s in due[: min(len(due), math.ceil(count * DUE_SHARE))]:
        take(_due_pick(bank, s))

    if wanted:
        weak = ranked
    else:
        weak = [t for t in ranked if m[t] < mu][:MAX_WEAK_TOPICS] or ranked[:1]
    queues = {t: _topic_queue(bank, t, states, taken, rng, m[t], mu, t in weak) for t in ranked}
    need = count - len(picks)
    quota = _shares(weak, {t: max(mu - m[t], 0.0) + 0.5 for t in weak}, need)
    for t in weak:
        for _ in range(quota[t]):
            _take_next(queues[t], taken, take)
    # spill: weak topics that ran out, then the remaining due questions, then the other topics
    for t in weak:
        while len(picks) < count and _take_next(queues[t], taken, take):
            pass
    for s in due:
        if len(picks) < count and s.question_id not in taken:
            take(_due_pick(bank, s))
    for t in ranked:
        while len(picks) < count and _take_next(queues[t], taken, take):
            pass
    if not picks:
        raise UserError("nothing to drill in " + (", ".join(topics) if topics else "the bank"))
    order = {p.question_id: i for i, p in enumerate(picks)}
    picks.sort(key=lambda p: (_RANK.get(bank.questions[p.question_id].difficulty, 9), order[p.question_id]))
    return picks


def _take_next(queue: list[Pick], taken: set[str], take) -> bool:  # noqa: ANN001
    while queue:
        p = queue.pop(0)
        if p.question_id not in taken:
            take(p)
            return True
    return False


def _shares(topics: list[str], weights: dict[str, float], n: int) -> dict[str, int]:
    """Largest-remainder split of ``n`` slots in proportion to ``weights``."""
    if n <= 0 or not topics:
        return {t: 0 for t in topics}
    total = sum(weights[t] for t in topics)
    exact = {t: n * weights[t] / total for t in topics}
    out = {t: int(exact[t]) for t in topics}
    for t in sorted(topics, key=lambda t: (-(exact[t] - out[t]), topics.index(t)))[: n - sum(out.values())]:
        out[t] += 1
    return out


def _due_pick(bank: Bank, s) -> Pick:  # noqa: ANN001 - a reports.review.ReviewState
    q = bank.questions[s.question_id]
    reason = f"due for review: {s.last_score:.1f}/10 on {s.last_at:%Y-%m-%d}"
    missed = _missed_points(s.last_answer)
    if missed:
        reason += f"; missed key point: {missed[0]}"
    return Pick(q.id, q.topic, "due", reason)


def _missed_points(a: AnswerRecord) -> list[str]:
    """Key points the answer did not cover in full, then those its follow-ups missed."""
    v = a.verdict
    if v is None:
        return []
    missed = [k.text or k.id for k in v.key_points if k.credit.value != "full"]
    for f in counted_follow_ups(a):
        missed += [k.text or k.id for k in f.verdict.key_points if k.credit.value != "full"]  # type: ignore[union-attr]
    return missed


def _topic_queue(bank: Bank, topic: str, states: dict, taken: set[str], rng: random.Random,
                 mastery: float, mu: float, is_weak: bool) -> list[Pick]:
    """Unseen questions of the topic (seeded shuffle), then seen ones that missed key points
    (lowest last score first). Seen questions with nothing missed are left to the scheduler."""
    qs = sorted((q for q in bank.questions.values() if q.topic == topic and q.id not in taken), key=lambda q: q.id)
    unseen = [q for q in qs if q.id not in states]
    rng.shuffle(unseen)
    what = "weak topic" if is_weak else "next topic by mastery"
    why = f"{what}: {topic} {mastery:.1f}/10 vs your overall {mu:.1f}; not seen before"
    out = [Pick(q.id, topic, "weak" if is_weak else "fill", why) for q in unseen]
    seen = sorted((states[q.id] for q in qs if q.id in states and _missed_points(states[q.id].last_answer)),
                  key=lambda s: (s.last_score, s.question_id))
    for s in seen:
        out.append(Pick(s.question_id, topic, "missed",
                        f"missed key point: {_missed_points(s.last_answer)[0]} "
                        f"({s.last_score:.1f}/10 on {s.last_at:%Y-%m-%d})"))
    return out
