"""Check that a bank's rubrics can actually be graded offline.

``python -m rubrics.selfcheck [FILE.yaml ...]`` (default: the bundled bank). For every question:
its own reference answer, in English and in Chinese, must score >= 9/10 (otherwise its key points
ask for words the reference never says, and real candidates will be under-graded too), and the
reference answer of a question from another topic must score <= 2/10 (otherwise its keywords are
so generic that off-topic answers earn points). The off-topic answer is picked deterministically
from questions that share neither topic nor tags, since "mixed precision" under two topics really
is the same subject.

It also grades every question's **probes** (graded example answers, ``rubrics.probe_check``): a
probe of the *dev* split scored more than ``PROBE_MARGIN`` outside its range is a failure, since
rubrics may be tuned on those. Probes of the *holdout* split are graded and summarised but never
fail the check: they are the honest measure of the judge and the rubrics, and fixing a rubric
until they pass would make them one more dev set. Prints one line per failure and exits 1 if
there is any.
"""

from __future__ import annotations

import sys
import zlib

from question_bank.loader import BankError, load_bank, script_args
from question_bank.models import Question
from rubrics.offline import OfflineJudge

OWN_MIN = 9.0
OTHER_MAX = 2.0
#: How far outside its range a dev probe may be graded before the check fails. Text matching can
#: not place every answer inside a two- or three-point band; more than this means the rubric
#: lacks a phrasing, or has one that fires on correct answers.
PROBE_MARGIN = 2.5


def other_topic(q: Question, pool: list[Question]) -> Question | None:
    """A stable choice (a hash of the id, not the position, so adding questions elsewhere does not
    reshuffle every pairing) among unrelated questions."""
    tags = set(q.tags)
    others = sorted((o for o in pool if o.topic != q.topic and not tags & set(o.tags)), key=lambda o: o.id)
    if not others:
        others = sorted((o for o in pool if o.topic != q.topic), key=lambda o: o.id)
    if not others:
        return None
    return others[zlib.crc32(q.id.encode()) % len(others)]


def check(questions: list[Question], pool: list[Question] | None = None, judge: OfflineJudge | None = None) -> list[tuple[str, str, float]]:
    """(question id, check, score) for every failing check. Off-topic answers come from ``pool``
    (default: ``questions``)."""
    judge = judge or OfflineJudge()
    pool = questions if pool is None else pool
    failures: list[tuple[str, str, float]] = []
    for q in questions:
        for lang in ("en", "zh"):
            ref = q.reference_answer.en if lang == "en" else q.reference_answer.zh
            if not ref:
                continue
            score = judge.grade(q, ref).score or 0.0
            if score < OWN_MIN:
                failures.append((q.id, f"own reference ({lang}) < {OWN_MIN:g}", score))
        other = other_topic(q, pool)
        if other is not None:
            score = judge.grade(q, other.reference_answer.en).score or 0.0
            if score > OTHER_MAX:
                failures.append((q.id, f"reference of {other.id} (other topic) > {OTHER_MAX:g}", score))
    return failures


def check_probes(questions: list[Question], judge: OfflineJudge) -> tuple[list[tuple[str, str, float]], list]:
    """(failures as in ``check``, every probe result). Failures are dev probes graded more than
    PROBE_MARGIN outside their range."""
    from rubrics.probe_check import grade_probes  # noqa: PLC0415

    results = grade_probes(questions, judge)
    failures = [
        (r.question_id, f"dev probe {r.kind}/{r.lang} {r.min:g}-{r.max:g} off by {r.error:+.1f}", r.score or 0.0)
        for r in results
        if r.split == "dev" and r.error is not None and abs(r.error) > PROBE_MARGIN
    ]
    return failures, results


def main(argv: list[str] | None = None) -> int:
    bank, args = script_args("python -m rubrics.selfcheck", __doc__, "skip grading the probes", argv)
    if bank is None:
        return 2
    questions = list(bank.questions.values())
    if not questions:
        print("no questions found")
        return 0
    pool = questions
    if args.files:
        # a single topic file has no other topic of its own: borrow off-topic answers from the bundled bank
        try:
            ids = {q.id for q in questions}
            pool = questions + [q for q in load_bank().questions.values() if q.id not in ids]
        except BankError:
            pass
    judge = OfflineJudge()
    failures = check(questions, pool, judge)
    results = []
    if not args.no_probes:
        probe_failures, results = check_probes(questions, judge)
        failures += probe_failures
    for qid, what, score in failures:
        print(f"{qid}: {what}: {score:.1f}")
    bad = len({qid for qid, _, _ in failures})
    print(f"{len(questions)} questions checked, {len(failures)} failed checks on {bad} questions")
    if results:
        from rubrics.probe_check import probe_metrics  # noqa: PLC0415

        for split in ("dev", "holdout"):
            m = probe_metrics([r for r in results if r.split == split])
            if m.n:
                print(
                    f"{split} probes: {m.n}, in range {m.in_range:.0%}, pairs ordered {m.pairs_ordered:.0%} of {m.pairs}, "
                    + ", ".join(f"{k.kind} {k.signed_error:+.2f}" for k in m.kinds if k.signed_error is not None)
                )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
