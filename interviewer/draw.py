"""Drawing questions for an interview: balanced over topics, no repeats, reproducible by seed."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence

from interviewer.errors import UserError
from question_bank.loader import Bank, BankError
from question_bank.models import DIFFICULTIES, Question
from reports.labels import plural

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
    above another while it still has questions; a mixed interview balances the difficulties over
    the whole interview. The final order runs from easy to hard, as a real interview does. ``pinned``
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
        what = f"{'topic' if len(topics) == 1 else 'topics'} {', '.join(topics)}" if topics else "the bank"
        level = "" if difficulty in ("mixed", None) else f" at difficulty {difficulty}"
        have = len(pool) + len(pinned)
        raise UserError(
            f"--count {count} is more than the {plural(have, 'question')} in {what}{level}; "
            f"use --count {have} or fewer, or widen --topic/--difficulty"
        )
    rng = random.Random(seed)
    already = Counter(bank.get(qid).difficulty for qid in pinned.values())
    chosen = _round_robin(pool, need, rng, already)
    chosen.sort(key=lambda q: _RANK[q.difficulty])
    ids = [q.id for q in chosen]
    for pos in sorted(pinned):
        ids.insert(min(pos, len(ids)), pinned[pos])
    return ids


def _round_robin(pool: list[Question], need: int, rng: random.Random, already: Counter[str]) -> list[Question]:
    """Topics take turns; each pick takes the difficulty the interview has least of so far (then
    the one this topic has least of), so a mixed interview spans easy to hard at every length
    instead of taking every topic's first question from the same difficulty."""
    by_topic: dict[str, list[Question]] = {}
    for q in sorted(pool, key=lambda q: q.id):  # sorted first: the seed alone decides the order
        by_topic.setdefault(q.topic, []).append(q)
    for qs in by_topic.values():
        rng.shuffle(qs)
    order = sorted(by_topic)
    rng.shuffle(order)
    ties = list(DIFFICULTIES)
    rng.shuffle(ties)  # which difficulty comes first when counts are equal
    overall = Counter(already)
    per_topic: dict[str, Counter[str]] = {t: Counter() for t in by_topic}
    chosen: list[Question] = []
    while len(chosen) < need:
        for t in order:
            qs = by_topic[t]
            if not qs or len(chosen) >= need:
                continue
            d = min({q.difficulty for q in qs}, key=lambda d: (overall[d], per_topic[t][d], ties.index(d)))
            q = next(q for q in qs if q.difficulty == d)
            qs.remove(q)
            chosen.append(q)
            overall[d] += 1
            per_topic[t][d] += 1
    return chosen
