"""What a bundled-bank question must carry beyond a valid schema (rubric v2).

A user bank may be as thin as a question and a reference answer; the bundled bank is held to more,
because the offline judge can only credit a claim it has phrasings for and can only refuse a wrong
claim it can recognise. ``python -m question_bank.quality [FILE ...]`` prints one line per gap;
``tests/test_bank_quality.py`` fails on any gap in the bundled bank. The rules are explained in
``question_bank/WRITING.md``.
"""

from __future__ import annotations

import sys

from question_bank.models import FOLLOW_UP_LEVELS, KeyPoint, Question

MIN_PARAPHRASES = 3  # per language and key point (aliases count)
MIN_CONTRADICTIONS = 1  # per language, on at least half of the key points
MIN_FOLLOW_UPS = 2
MIN_PROBES = 4


def _phrasings(kp: KeyPoint, lang: str) -> int:
    return len(getattr(kp.paraphrases, lang)) + len(getattr(kp.aliases, lang))


def point_gaps(kp: KeyPoint, where: str) -> list[str]:
    gaps = []
    for lang in ("en", "zh"):
        n = _phrasings(kp, lang)
        if n < MIN_PARAPHRASES:
            gaps.append(f"{where} key point {kp.id!r}: {n} {lang} paraphrases, want >= {MIN_PARAPHRASES}")
    if not kp.text.zh:
        gaps.append(f"{where} key point {kp.id!r}: no Chinese text")
    return gaps


def question_gaps(q: Question, probes: bool = True) -> list[str]:
    """Gaps of one question: key points, contradictions, misconception links, follow-up ladder and
    (with ``probes``) its graded example answers."""
    gaps: list[str] = []
    where = q.id
    points = q.rubric.key_points
    if not q.text.zh or not q.reference_answer.zh:
        gaps.append(f"{where}: question or reference answer has no Chinese text")
    if not points:
        gaps.append(f"{where}: no key points")
    for kp in points:
        gaps += point_gaps(kp, where)
    with_contra = sum(1 for kp in points if kp.contradictions.en and kp.contradictions.zh)
    if points and with_contra * 2 < len(points):
        gaps.append(f"{where}: contradictions (en and zh) on {with_contra} of {len(points)} key points, want at least half")
    for m in q.rubric.misconceptions:
        if not m.contradicts:
            gaps.append(f"{where} misconception {m.id!r}: says no key point it contradicts")
    if len(q.follow_ups) < MIN_FOLLOW_UPS:
        gaps.append(f"{where}: {len(q.follow_ups)} follow-ups, want >= {MIN_FOLLOW_UPS}")
    if len({f.level for f in q.follow_ups}) < min(MIN_FOLLOW_UPS, len(q.follow_ups)):
        gaps.append(f"{where}: follow-ups should be on different levels ({', '.join(FOLLOW_UP_LEVELS)})")
    for f in q.follow_ups:
        fw = f"{where} follow-up {f.id!r}"
        if f.reference_answer is None or not f.reference_answer.zh:
            gaps.append(f"{fw}: needs a reference answer in en and zh")
        if not f.rubric.key_points:
            gaps.append(f"{fw}: no key points")
        if not f.targets:
            gaps.append(f"{fw}: no targets (the main key points it probes)")
        for kp in f.rubric.key_points:
            for lang in ("en", "zh"):
                if _phrasings(kp, lang) < 2:
                    gaps.append(f"{fw} key point {kp.id!r}: fewer than 2 {lang} paraphrases")
    if probes:
        if len(q.probes) < MIN_PROBES:
            gaps.append(f"{where}: {len(q.probes)} probes, want >= {MIN_PROBES}")
        kinds = {p.kind for p in q.probes}
        if q.probes and not ({"strong", "paraphrase"} & kinds and "wrong_terms" in kinds):
            gaps.append(f"{where}: probes need a correct answer and a wrong_terms answer")
    return gaps


def main(argv: list[str] | None = None) -> int:
    from question_bank.loader import script_args  # noqa: PLC0415

    bank, args = script_args("python -m question_bank.quality", __doc__, "do not require probes", argv)
    if bank is None:
        return 2
    gaps = [g for q in bank.questions.values() for g in question_gaps(q, probes=not args.no_probes)]
    for g in gaps:
        print(g)
    print(f"{len(bank.questions)} questions, {len(gaps)} gaps")
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main())
