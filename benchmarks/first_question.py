"""How long a candidate waits for the first question, and for the judge behind it.

Runs ``interviewer start`` as a fresh process in a pseudo-terminal with the terminal UI swapped for
a probe (tests/interview_probe.py), and prints, for the offline judge and for an LLM judge on the local test server: seconds
from launch to the first question, to the judge's status line saying "ready", and whether litellm
had been imported when the first question appeared.

    .venv/bin/python benchmarks/first_question.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import pty
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._server import ServerProcess  # noqa: E402

def once(args: list[str], data_dir: str) -> tuple[float, float, bool]:
    master, slave = pty.openpty()
    env = {**os.environ, "OPENAI_API_KEY": os.environ.get("OPENAI_API_KEY", "sk-bench")}
    started = time.time()
    try:
        proc = subprocess.run([sys.executable, str(ROOT / "tests" / "interview_probe.py"), *args, "--data-dir", data_dir],
                              cwd=ROOT, stdin=slave, capture_output=True, text=True, timeout=300, env=env)
    finally:
        os.close(slave)
        os.close(master)
    lines = {ln.split()[0]: ln.split() for ln in proc.stdout.splitlines() if ln.startswith(("FIRST", "STATUS"))}
    if "FIRST" not in lines:
        raise RuntimeError(proc.stderr)
    first = float(lines["FIRST"][1]) - started
    judge = float(lines["STATUS"][1]) - started
    return first, judge, lines["FIRST"][2] == "True"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    opts = ap.parse_args()
    with ServerProcess(delay=0.0) as server, tempfile.TemporaryDirectory() as tmp:
        cases = {"offline": ["start", "--count", "3"],
                 "LLM (local server)": ["start", "--count", "3", "--judge", "openai/test-model",
                                        "--api-base", server.base_url]}
        print(f"{'judge':<20} {'first question (s)':>19} {'judge ready (s)':>16}  litellm imported at the first question")
        for name, args in cases.items():
            runs = [once(args, str(Path(tmp) / f"{name[:3]}{i}")) for i in range(opts.repeat)]
            first = statistics.median(r[0] for r in runs)
            ready = statistics.median(r[1] for r in runs)
            print(f"{name:<20} {first:>19.2f} {ready:>16.2f}  {any(r[2] for r in runs)}")


if __name__ == "__main__":
    main()
