"""Answers per second of the offline judge on one core, over the bundled bank's reference answers
plus perturbed copies (halved, shuffled, typo'd, keyword lists, off-topic).

    python benchmarks/offline_judge_speed.py [--rounds N]

jieba's dictionary load (about a second, once per process) is excluded; the first pass, which also
compiles each question's matchers, is reported separately from the steady state that an
interview session sees.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from question_bank.loader import load_bank  # noqa: E402
from rubrics.offline import OfflineJudge  # noqa: E402
from rubrics.text import split_sentences, warm_up  # noqa: E402


def _typos(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    for i, w in enumerate(words):
        if len(w) > 6 and rng.random() < 0.1:
            k = rng.randrange(1, len(w) - 2)
            words[i] = w[:k] + w[k + 1] + w[k] + w[k + 2 :]
    return " ".join(words)


def workload(bank, rng: random.Random) -> list[tuple[object, str]]:
    qs = list(bank.questions.values())
    items = []
    for i, q in enumerate(qs):
        en, zh = q.reference_answer.en, q.reference_answer.zh
        sents = split_sentences(en)
        items.append((q, en))
        if zh:
            items.append((q, zh))
        items.append((q, " ".join(sents[: max(1, len(sents) // 2)])))
        shuffled = sents[:]
        rng.shuffle(shuffled)
        items.append((q, " ".join(shuffled)))
        items.append((q, _typos(en, rng)))
        items.append((q, ", ".join(e.split("|")[0] for kp in q.rubric.key_points for e in kp.keywords.en)))
        items.append((q, qs[(i * 31 + 7) % len(qs)].reference_answer.en))
    return [(q, a) for q, a in items if a.strip()]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    bank = load_bank()
    if not len(bank):
        print("the bundled bank is empty")
        return 1
    warm_up()  # jieba's dictionary, excluded
    items = workload(bank, random.Random(0))
    words = statistics.mean(len(a.split()) if a.isascii() else len(a) / 2 for _, a in items)
    judge = OfflineJudge()
    t0 = time.perf_counter()
    for q, a in items:
        judge.grade(q, a)
    first = time.perf_counter() - t0
    rates = []
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        for q, a in items:
            judge.grade(q, a)
        rates.append(len(items) / (time.perf_counter() - t0))
    print(f"{len(bank)} questions, {len(items)} answers (~{words:.0f} words each), one core")
    print(f"first pass (compiles each question's matchers): {len(items) / first:.0f} answers/s")
    print(f"steady state: {statistics.median(rates):.0f} answers/s (median of {args.rounds} rounds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
