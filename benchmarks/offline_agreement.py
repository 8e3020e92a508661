"""How well the offline judge's scores follow what answers claim, per kind of answer.

    python benchmarks/offline_agreement.py [--probes-jsonl FILE ...] [--calibration FILE.jsonl ...]

Prints, in one run:

1. **The bank's probes** (graded example answers each question carries, written by people who had
   not read the rubric's phrasings), split into *dev* (rubrics and judge may be tuned on them) and
   *holdout* (only measured). Per kind of answer (paraphrase, wrong_terms, partial, terse,
   other_language, manipulation, off_topic): mean score and **signed error** (how far outside the
   expert range, + over-scored, - under-scored), then **pair accuracy** (a correct probe scored
   above a wrong one of the same question) and agreement with the ranges' midpoints.
2. **Extra probe files** (``--probes-jsonl``: one ``{"question_id", "kind", "answer",
   "expected_min", "expected_max"}`` per line, e.g. an outside reviewer's answers): the same figures.
3. **Calibration sets** (human-graded answers without written rubrics, ``rubrics.calibration``):
   ``tests/data/calibration_dev.jsonl`` (tuned on) and ``tests/data/calibration_holdout.jsonl``
   (checked only), plus any ``--calibration`` file (e.g. a public short-answer corpus).

A change that helps dev and hurts holdout is overfitting; quote holdout figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from question_bank.loader import load_bank  # noqa: E402
from question_bank.models import Probe  # noqa: E402
from rubrics.calibration import compute_metrics, grade_items, load_items  # noqa: E402
from rubrics.offline import OfflineJudge  # noqa: E402
from rubrics.probe_check import ProbeResult, grade_probes, probe_metrics, split_of  # noqa: E402
from rubrics.judge import grade_answer  # noqa: E402

CALIBRATION = [ROOT / "tests/data/calibration_dev.jsonl", ROOT / "tests/data/calibration_holdout.jsonl"]


def _f(x: float | None, w: int = 6, d: int = 3) -> str:
    return f"{x:>{w}.{d}f}" if x is not None else f"{'-':>{w}}"


def print_probes(title: str, results: list[ProbeResult]) -> None:
    m = probe_metrics(results)
    print(f"\n{title}: {m.n} answers, in range {_f(m.in_range, 0, 2)}, pairs ordered {_f(m.pairs_ordered, 0, 3)} of {m.pairs}, "
          f"Pearson {_f(m.pearson, 0)}, QWK {_f(m.qwk, 0)}, MAE {_f(m.mae, 0, 2)}")
    print(f"  {'kind':<15} {'n':>5} {'mean':>6} {'signed':>7} {'in range':>9}")
    for k in m.kinds:
        print(f"  {k.kind:<15} {k.n:>5} {_f(k.mean_score, 6, 2)} {_f(k.signed_error, 7, 2)} {_f(k.in_range, 9, 2)}")


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--probes-jsonl", type=Path, action="append", default=[], help="extra graded answers to bank questions")
    ap.add_argument("--calibration", type=Path, action="append", default=[], help="extra calibration JSONL files")
    args = ap.parse_args()
    judge = OfflineJudge()
    bank = load_bank()
    questions = list(bank.questions.values())
    t0 = time.perf_counter()
    results = grade_probes(questions, judge)
    dt = time.perf_counter() - t0
    print(f"bank: {len(questions)} questions, {len(results)} probes graded in {dt:.1f} s ({len(results) / dt:.0f} answers/s)")
    for split in ("dev", "holdout"):
        print_probes(f"probes, {split} split", [r for r in results if r.split == split])
    for path in args.probes_jsonl:
        extra = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            d = json.loads(line)
            q = bank.questions.get(d["question_id"])
            if q is None:
                continue
            p = Probe(kind="paraphrase", answer=d["answer"], min=d["expected_min"], max=d["expected_max"])
            v = grade_answer(judge, q, p.answer)
            extra.append(ProbeResult(q.id, d.get("kind", "?"), "en", p.min, p.max, v.score, split_of(q.id), p.answer))
        print_probes(f"probes from {path.name}", extra)
    print(f"\n{'calibration set':<28} {'n':>5} {'pearson':>8} {'spearman':>8} {'qwk':>6} {'exact':>6} {'adj':>6} {'mae':>6} {'smd':>6}")
    for path in CALIBRATION + args.calibration:
        items, problems = load_items(path, lambda qid: bank.questions[qid])
        for p in problems:
            print(f"{path.name}: {p}", file=sys.stderr)
        m = compute_metrics(grade_items(items, judge))
        print(f"{path.name:<28} {m.n:>5} {_f(m.pearson, 8)} {_f(m.spearman, 8)} {_f(m.qwk)} {_f(m.exact)} {_f(m.adjacent)} {_f(m.mae)} {_f(m.smd)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
