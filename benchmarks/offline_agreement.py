"""Agreement of the offline judge with human grades on the bundled calibration sets.

    python benchmarks/offline_agreement.py [FILE.jsonl ...]

Two sets, because tuning on one and reporting on the same one measures nothing:
``tests/data/calibration_dev.jsonl`` is the set the judge's thresholds were tuned on, and
``tests/data/calibration_holdout.jsonl`` (different questions and topics, written before the judge
was changed) is only read to check the result. A change that helps dev and hurts the holdout is
overfitting. Prints one line of metrics per file (see ``rubrics.calibration`` for what they mean).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rubrics.calibration import compute_metrics, grade_items, load_items  # noqa: E402
from rubrics.offline import OfflineJudge  # noqa: E402

DEFAULT = [ROOT / "tests/data/calibration_dev.jsonl", ROOT / "tests/data/calibration_holdout.jsonl"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", type=Path, default=DEFAULT)
    args = ap.parse_args()
    judge = OfflineJudge()
    print(f"{'set':<28} {'n':>3} {'pearson':>8} {'spearman':>8} {'qwk':>6} {'exact':>6} {'adj':>6} {'mae':>6} {'smd':>6}")
    for path in args.files:
        items, problems = load_items(path)
        for p in problems:
            print(f"{path.name}: {p}", file=sys.stderr)
        m = compute_metrics(grade_items(items, judge))

        def f(x: float | None, w: int = 6) -> str:
            return f"{x:>{w}.3f}" if x is not None else f"{'-':>{w}}"

        print(f"{path.name:<28} {m.n:>3} {f(m.pearson, 8)} {f(m.spearman, 8)} {f(m.qwk)} {f(m.exact)} {f(m.adjacent)} {f(m.mae)} {f(m.smd)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
