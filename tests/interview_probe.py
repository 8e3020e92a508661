"""Run ``interviewer`` with the terminal UI swapped for a probe (in a pseudo-terminal, so the
interview is an interactive one), for the tests and benchmarks/first_question.py.

The probe prints to the real stdout ``FIRST <unix time> <litellm imported?>`` when the first
question is asked, then waits for the judge's status line to settle and prints
``STATUS <unix time> <the line>``, and pauses the interview. With ``--hold-litellm`` first,
litellm's import is held back until the first question is on screen: if anything on the way to
that question needed litellm, the import waits for a question that never comes, and the probe
prints ``ORDER: litellm was needed before the first question`` after 30 s.

    python tests/interview_probe.py [--hold-litellm] start --judge ... --data-dir DIR
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

report = sys.__stdout__
asked = threading.Event()


class HoldLitellm:
    def find_spec(self, name, path=None, target=None):  # noqa: ANN001, ANN201
        if name == "litellm" and not asked.is_set() and not asked.wait(30):
            print("ORDER: litellm was needed before the first question", file=report, flush=True)
        return None


class Probe:
    def __init__(self, *args, status=None, **kwargs):  # noqa: ANN002, ANN003, ANN001
        self.status = status

    def saved(self, record) -> None:  # noqa: ANN001
        pass

    def ask(self, turn):  # noqa: ANN001, ANN201
        from interviewer.session import Reply

        print("FIRST", time.time(), "litellm" in sys.modules, file=report, flush=True)
        asked.set()
        line, deadline = "", time.time() + 120
        while time.time() < deadline:
            line = self.status.line(turn.lang) if self.status else "no status line"
            if "ready" in line or "not working" in line or not self.status:
                break
            time.sleep(0.02)
        print("STATUS", time.time(), line, file=report, flush=True)
        return Reply(text="typed so far", seconds_used=1.0, pause=True)


def main(argv: list[str]) -> None:
    if argv and argv[0] == "--hold-litellm":
        sys.meta_path.insert(0, HoldLitellm())
        argv = argv[1:]
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import interviewer.tui

    interviewer.tui.TerminalAnswers = Probe
    from interviewer.cli import main as interviewer_main

    sys.argv = ["interviewer", *argv]
    interviewer_main()


if __name__ == "__main__":
    main(sys.argv[1:])
