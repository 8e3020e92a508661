"""Which follow-up to ask next, from what the main answer showed.

An interviewer probes a gap before going deeper. A follow-up whose ``targets`` include a key point
the answer contradicted, missed or only half covered is asked first: the gravest gap first
(contradicted, then missed, then partial), probed from the bottom of the ladder (mechanism before
trade-off before numbers before failure modes), so a candidate who missed the basics is asked why
before being asked how much. When the answer covered every point (or no follow-up probes the gaps
left), the interview climbs: an answer that covers everything has shown the ladder's first rung, so
the next follow-up is one rung deeper than the deepest reached.

Pure and deterministic: the same question, verdict, follow-ups already asked and seed give the same
choice, so a resumed interview asks what the interrupted one would have asked. The seed only breaks
ties between equally good follow-ups.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from question_bank.models import FOLLOW_UP_LEVELS, FollowUp, Question
from rubrics.verdict import Verdict

_RUNG = {level: i for i, level in enumerate(FOLLOW_UP_LEVELS)}
#: How grave a gap is, gravest first.
_GRAVITY = {"contradicted": 0, "none": 1, "partial": 2}


@dataclass(frozen=True)
class Choice:
    follow_up: FollowUp
    why: str  # "gap": it probes ``point``, which the answer missed or got wrong; "deeper": the next rung
    point: str | None = None


def _gap_kinds(verdict: Verdict | None) -> dict[str, str]:
    """{key point id: contradicted | none | partial} for the points the answer did not get right.
    An ungraded (or missing) verdict shows no gaps: nothing is known about the answer."""
    if verdict is None or verdict.status != "graded":
        return {}
    kinds = {kp.id: "contradicted" if kp.contradicted else kp.credit.value for kp in verdict.key_points}
    return {k: v for k, v in kinds.items() if v in _GRAVITY}


def next_follow_up(question: Question, verdict: Verdict | None, asked: list[str],
                   seed: int | None = None) -> Choice | None:
    """The follow-up to ask after those in ``asked`` (follow-up ids), or None when none is left."""
    remaining = [f for f in question.follow_ups if f.id not in asked]
    if not remaining:
        return None
    ids = [f.id for f in remaining]
    if seed is not None:  # ties go to a seeded shuffle, else to the bank's order
        random.Random(f"{seed}:{question.id}").shuffle(ids)
    order = {fid: i for i, fid in enumerate(ids)}
    done = [f for f in question.follow_ups if f.id in asked]
    probed = {t for f in done for t in f.targets}
    gaps = {k: v for k, v in _gap_kinds(verdict).items() if k not in probed}
    weight = {kp.id: kp.weight for kp in verdict.key_points} if verdict else {}

    def gap_rank(f: FollowUp) -> tuple:
        hit = [t for t in f.targets if t in gaps]
        return (min(_GRAVITY[gaps[t]] for t in hit), _RUNG[f.level], -sum(weight.get(t, 1.0) for t in hit), order[f.id])

    probing = [f for f in remaining if any(t in gaps for t in f.targets)]
    if probing:
        best = min(probing, key=gap_rank)
        point = min((t for t in best.targets if t in gaps), key=lambda t: (_GRAVITY[gaps[t]], -weight.get(t, 1.0)))
        return Choice(best, "gap", point)
    reached = max((_RUNG[f.level] for f in done), default=min(_RUNG[f.level] for f in question.follow_ups))
    best = min(remaining, key=lambda f: (_RUNG[f.level] <= reached, _RUNG[f.level], order[f.id]))
    return Choice(best, "deeper")
