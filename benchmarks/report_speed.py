"""Report and analytics speed.

1. Report generation (build + HTML, Markdown and JSON) for a 20-question session graded by the
   offline judge, with no other history and inside a history of 10,000 answers.
2. ``interviewer progress`` over a synthetic history of 10,000 answers (1,000 sessions of 10),
   in process (what the command itself costs) and as a fresh process (what the user waits for).

    /work/venv/bin/python benchmarks/report_speed.py [--answers 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from interviewer.session import create_session  # noqa: E402
from interviewer.store import Store  # noqa: E402
from question_bank.loader import load_bank  # noqa: E402
from reports.records import AnswerRecord, SessionSettings  # noqa: E402
from reports.report import render, report_for  # noqa: E402
from rubrics.judge import grade_answer  # noqa: E402
from rubrics.offline import OfflineJudge  # noqa: E402
from rubrics.verdict import Credit, KeyPointVerdict, Verdict  # noqa: E402


def best(fn, repeat: int) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def synthetic_history(store: Store, bank, n_answers: int, rng: random.Random) -> None:  # noqa: ANN001
    """``n_answers`` answers in sessions of 10 over the last 200 days, written in one transaction
    (the real store commits each answer with an fsync, which is not what is measured here)."""
    qs = list(bank.questions.values())
    topic_skill = {t: rng.uniform(2, 9) for t in bank.topics}
    start = datetime.now(timezone.utc) - timedelta(days=200)
    with store.conn:
        for s in range(n_answers // 10):
            at = start + timedelta(days=200 * s / (n_answers // 10))
            picked = rng.sample(qs, 10)
            sid = f"bench-{s:05d}"
            store.conn.execute(
                "INSERT INTO sessions (id, created_at, finished_at, status, settings_json, plan_json, reasons_json,"
                " elapsed_seconds) VALUES (?, ?, ?, 'finished', ?, ?, '{}', 0)",
                (sid, at.isoformat(), at.isoformat(), SessionSettings(count=10).model_dump_json(),
                 "[" + ",".join(f'"{q.id}"' for q in picked) + "]"))
            for pos, q in enumerate(picked):
                skill = topic_skill[q.topic]
                kps = [KeyPointVerdict(id=k.id, text=k.text.en, weight=k.weight,
                                       credit=Credit.full if rng.uniform(0, 10) < skill else Credit.none)
                       for k in q.rubric.key_points]
                v = Verdict(question_id=q.id, key_points=kps, feedback="synthetic")
                cur = store.conn.execute(
                    "INSERT INTO answers (session_id, position, question_id, answer, seconds_used, seconds_allowed,"
                    " submitted_at, ended) VALUES (?, ?, ?, ?, 60, 300, ?, 'submitted')",
                    (sid, pos, q.id, "synthetic answer " * 20, (at + timedelta(minutes=pos)).isoformat()))
                store.conn.execute(
                    "INSERT INTO verdicts (answer_id, status, score, judge, model, prompt_version, verdict_json,"
                    " graded_at) VALUES (?, 'graded', ?, 'offline', NULL, NULL, ?, ?)",
                    (cur.lastrowid, v.score, v.model_dump_json(), at.isoformat()))


def twenty_question_session(store: Store, bank) -> str:  # noqa: ANN001
    rng = random.Random(1)
    qs = rng.sample(list(bank.questions.values()), 20)
    s = create_session(store, SessionSettings(count=20, minutes=100), [q.id for q in qs])
    judge = OfflineJudge()
    for pos, q in enumerate(qs):
        ref = q.reference_answer.en
        text = ref[: len(ref) * rng.randint(1, 3) // 3]
        a = AnswerRecord(session_id=s.id, position=pos, question_id=q.id, answer=text, seconds_used=200, seconds_allowed=300)
        store.save_verdict(store.add_answer(a), grade_answer(judge, q, text))
    store.finish_session(s.id)
    return s.id


def time_report(store: Store, bank, sid: str, repeat: int) -> float:  # noqa: ANN001
    def once() -> None:
        rep = report_for(store, store.get_session(sid), bank.questions)
        for fmt in ("html", "md", "json"):
            render(rep, fmt)

    once()  # warm: imports pandas/jinja2 and compiles the templates once, as a real run does
    return best(once, repeat)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--answers", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    bank = load_bank()
    print(f"bank: {len(bank)} questions, {len(bank.topics)} topics; best of {args.repeat}")

    with tempfile.TemporaryDirectory() as d:
        store = Store.open(Path(d))
        sid = twenty_question_session(store, bank)
        t = time_report(store, bank, sid, args.repeat)
        print(f"report, 20 questions, no other history:       {t * 1000:8.1f} ms  (build + html + md + json)")

        synthetic_history(store, bank, args.answers, random.Random(2))
        t = time_report(store, bank, sid, args.repeat)
        print(f"report, 20 questions, {args.answers:,} answers of history: {t * 1000:8.1f} ms")

        from typer.testing import CliRunner

        from interviewer.cli import app

        env = {"INTERVIEWER_BANK": "", "COLUMNS": "120"}
        runner = CliRunner()

        def progress() -> None:
            res = runner.invoke(app, ["progress", "--data-dir", d], env=env)
            assert res.exit_code == 0, res.output

        progress()
        print(f"progress, {args.answers + 20:,} answers, in process:    {best(progress, args.repeat) * 1000:8.1f} ms")

        def progress_cli() -> None:
            subprocess.run([sys.executable, "-m", "interviewer", "progress", "--data-dir", d], check=True,
                           capture_output=True, env={**os.environ, **env}, cwd=ROOT)

        print(f"progress, {args.answers + 20:,} answers, new process:   {best(progress_cli, args.repeat) * 1000:8.1f} ms")
        store.close()


if __name__ == "__main__":
    main()
