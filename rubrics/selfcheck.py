"""Check that a bank's rubrics can actually be graded offline.

``python -m rubrics.selfcheck [FILE.yaml ...]`` (default: the bundled bank). For every question:
its own reference answer, in English and in Chinese, must score >= 9/10 (otherwise its key points
ask for words the reference never says, and real candidates will be under-graded too), and the
reference answer of a question from another topic must score <= 2/10 (otherwise its keywords are
so generic that off-topic answers earn points). Bank writers run this on their files; it prints
one line per failure and exits 1 if there is any.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from question_bank.loader import BankError, load_bank
from question_bank.models import Question
from rubrics.offline import OfflineJudge

OWN_MIN = 9.0
OTHER_MAX = 2.0


def _other(q: Question, pool: list[Question], i: int) -> Question | None:
    """A deterministic question from another topic (so runs are reproducible), preferring the
    next topic along, which is a plausible wrong answer rather than a random one."""
    others = [o for o in pool if o.topic != q.topic]
    if not others:
        return None
    return others[(i * 7919) % len(others)]


def check(questions: list[Question], judge: OfflineJudge | None = None) -> list[tuple[str, str, float]]:
    """(question id, check, score) for every failing check."""
    judge = judge or OfflineJudge()
    failures: list[tuple[str, str, float]] = []
    for i, q in enumerate(questions):
        for lang in ("en", "zh"):
            ref = q.reference_answer.en if lang == "en" else q.reference_answer.zh
            if not ref:
                continue
            score = judge.grade(q, ref).score or 0.0
            if score < OWN_MIN:
                failures.append((q.id, f"own reference ({lang}) < {OWN_MIN:g}", score))
        other = _other(q, questions, i)
        if other is not None:
            score = judge.grade(q, other.reference_answer.en).score or 0.0
            if score > OTHER_MAX:
                failures.append((q.id, f"reference of {other.id} (other topic) > {OTHER_MAX:g}", score))
    return failures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m rubrics.selfcheck", description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", help="bank YAML files or folders (default: the bundled bank)")
    args = ap.parse_args(argv)
    try:
        if args.files:
            bank = load_bank([Path(f) for f in args.files], include_builtin=False)
            # cross-topic answers come from the whole bundled bank when checking a single file
            try:
                pool_bank = load_bank()
                pool = list(pool_bank.questions.values())
            except BankError:
                pool = []
        else:
            bank = load_bank()
            pool = []
    except BankError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    questions = list(bank.questions.values())
    if not questions:
        print("no questions found")
        return 0
    judge = OfflineJudge()
    if pool:
        ids = {q.id for q in questions}
        # grade each file's questions, but draw off-topic answers from everything loaded
        merged = questions + [q for q in pool if q.id not in ids]
        failures = [f for f in check_subset(questions, merged, judge)]
    else:
        failures = check(questions, judge)
    for qid, what, score in failures:
        print(f"{qid}: {what}: {score:.1f}")
    bad = len({qid for qid, _, _ in failures})
    print(f"{len(questions)} questions, {len(failures)} failed checks on {bad} questions")
    return 1 if failures else 0


def check_subset(questions: list[Question], pool: list[Question], judge: OfflineJudge) -> list[tuple[str, str, float]]:
    failures = []
    for q in questions:
        i = pool.index(q)
        failures += [f for f in check([q], judge)]
        other = _other(q, pool, i)
        if other is not None and len({o.topic for o in questions}) == 1:
            score = judge.grade(q, other.reference_answer.en).score or 0.0
            if score > OTHER_MAX:
                failures.append((q.id, f"reference of {other.id} (other topic) > {OTHER_MAX:g}", score))
    return failures


if __name__ == "__main__":
    sys.exit(main())
