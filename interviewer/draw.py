"""Drawing questions for an interview: balanced over topics, no repeats, reproducible by seed."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

from interviewer.errors import UserError
from question_bank.loader import Bank, BankError
from question_bank.models import DIFFICULTIES, Question

_RANK = {d: i for i, d in enumerate(DIFFICULTIES)}


def draw_questions(
    bank: Bank,
    topics: Sequence[str] = (),
    difficulty: str = "mixed",
    count: int = 5,
    seed: int | None = None,
    pinned: dict[int, str] | None = None,
    exclude: Iterable[str] = (),
) -> list[str]:
    """Question ids in asking order.

    Topics take turns (round robin, in a seeded order) so no topic gets more than one question
    above another while it still has questions; within a topic, a mixed interview rotates through
    difficulties. The final order runs from easy to hard, as a real interview does. ``pinned``
    fixes ``position -> question id`` (scripted answers that name their question).
    """
    if count < 1:
        raise UserError("--count must be at least 1")
    try:
        pool = bank.select(topics, difficulty)
    except BankError as e:
        raise UserError(str(e)) from None
    pinned = dict(pinned or {})
    for qid in pinned.values():
        if qid not in bank.questions:
            raise UserError(f"answers file pins unknown question id {qid!r}; `interviewer bank list` shows the ids")
    skip = set(exclude) | set(pinned.values())
    pool = [q for q in pool if q.id not in skip]
    need = count - len(pinned)
    if need > len(pool):
        what = f"topic(s) {', '.join(topics)}" if topics else "the bank"
        level = "" if difficulty in ("mixed", None) else f" at difficulty {difficulty}"
        raise UserError(
            f"--count {count} is more than the {len(pool) + len(pinned)} question(s) in {what}{level}; "
            f"use --count {len(pool) + len(pinned)} or fewer, or widen --topic/--difficulty"
        )
    rng = random.Random(seed)
    chosen = _round_robin(pool, need, rng)
    chosen.sort(key=lambda q: _RANK[q.difficulty])
    ids = [q.id for q in chosen]
    for pos in sorted(pinned):
        ids.insert(min(pos, len(ids)), pinned[pos])
    return ids


def _round_robin(pool: list[Question], need: int, rng: random.Random) -> list[Question]:
    by_topic: dict[str, list[Question]] = {}
    for q in sorted(pool, key=lambda q: q.id):  # sorted first: the seed alone decides the order
        by_topic.setdefault(q.topic, []).append(q)
    for qs in by_topic.values():
        rng.shuffle(qs)
        qs[:] = _spread_difficulties(qs)
    order = sorted(by_topic)
    rng.shuffle(order)
    chosen: list[Question] = []
    while len(chosen) < need:
        for t in order:
            if by_topic[t] and len(chosen) < need:
                chosen.append(by_topic[t].pop(0))
    return chosen


def _spread_difficulties(qs: list[Question]) -> list[Question]:
    """Interleave difficulties (keeping the shuffled order within each) so a topic drawn twice
    in a mixed interview does not get two easy questions."""
    lanes = [[q for q in qs if q.difficulty == d] for d in ("medium", "easy", "hard")]
    out: list[Question] = []
    while any(lanes):
        for lane in lanes:
            if lane:
                out.append(lane.pop(0))
    return out
