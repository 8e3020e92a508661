"""Which row of numbers each parameterised question of an interview is asked with.

Decided once, when the session is drawn, and stored with it (``SessionRecord.variants``) and then
with each answer: resume, regrade and the report replay exactly that instance. The draw is seeded
(the same ``--seed`` and history give the same rows) and avoids the row the candidate saw last
time for that question, so that an answer remembered from the last interview does not fit.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping

from interviewer.errors import UserError
from question_bank.loader import Bank
from question_bank.variants import rows
from reports.records import AnswerRecord


def last_seen(answers: Iterable[AnswerRecord]) -> dict[str, str | None]:
    """Question id -> the row of the candidate's most recent answer to it (None: canonical)."""
    out: dict[str, str | None] = {}
    for a in sorted(answers, key=lambda a: a.submitted_at):
        out[a.question_id] = a.variant
    return out


def draw_variants(bank: Bank, plan: list[str], seed: int | None, history: Iterable[AnswerRecord] = (),
                  pinned: Mapping[int, str] | None = None) -> dict[int, str]:
    """Position -> row for every parameterised question of ``plan``. ``pinned`` fixes rows by
    position (scripted answers that name one); an unknown row is a UserError."""
    seen = last_seen(history)
    out: dict[int, str] = {}
    for pos, qid in enumerate(plan):
        q = bank.get(qid)
        choices = rows(q)
        want = (pinned or {}).get(pos)
        if want is not None:
            if want not in choices:
                have = ", ".join(choices) if choices else "none: it is not parameterised"
                raise UserError(f"answers file pins variant {want!r} of {qid!r}; its variants: {have}")
            out[pos] = want
            continue
        if not choices:
            continue
        last = (seen[qid] or choices[0]) if qid in seen else None  # an answer without a row saw the canonical one
        fresh = [r for r in choices if r != last] or choices
        # seeded per question, so one question's row does not shift when another joins the plan
        rng = random.Random(f"{seed}:{qid}") if seed is not None else random.Random()
        out[pos] = rng.choice(fresh)
    return out
