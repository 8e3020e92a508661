"""History commands: ``history``, ``progress``, ``export`` and ``drill``.

Registered on the main app by ``interviewer.cli``; pandas and fsrs are imported inside the
commands so ``interviewer --help`` stays free of them.
"""

import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Optional

import typer

from interviewer.errors import UserError
from reports.labels import plural
from interviewer.options import (
    AnswersOpt, ApiBaseOpt, ApiKeyEnvOpt, BankOpt, CountOpt, DataDirOpt, FollowUpsOpt, JudgeOpt, LangOpt, MinutesOpt,
    NoCacheOpt, RouterOpt, SamplesOpt, SeedOpt, TimeoutOpt, TopicOpt,
)

EXPORT_FORMATS = ("csv", "parquet", "json")


def _load(data_dir_opt: Path | None, bank: list[Path] | None, read_only_ok: bool = True):  # noqa: ANN202
    """Store, sessions, answers, and a bank that knows every question the history mentions
    (the bundled bank plus the user banks any session named, when they still exist)."""
    from interviewer.run import load_bank_or_fail, open_store

    store = open_store(data_dir_opt, read_only_ok=read_only_ok)
    sessions = store.list_sessions()
    extra = {p for s in sessions for p in s.settings.banks if Path(p).exists()}
    qbank = load_bank_or_fail([*sorted(Path(p) for p in extra), *(bank or [])])
    return store, sessions, store.attach_follow_ups(store.all_answers()), qbank


def _map_text(df, fn):  # noqa: ANN001, ANN202 - a pandas DataFrame
    """A copy of ``df`` with ``fn`` applied to every string cell."""
    import pandas as pd

    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_object_dtype(out[col]) or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda x: fn(x) if isinstance(x, str) else x).astype(out[col].dtype)
    return out


def _fmt(x: object, spec: str = ".1f") -> str:
    if x is None or (isinstance(x, float) and x != x):
        return "–"
    return format(x, spec)


def _bar(score: float | None, width: int = 20) -> str:
    if score is None or score != score:
        return ""
    n = round(max(0.0, min(10.0, score)) / 10 * width)
    return "█" * n + "·" * (width - n)


def _spark(scores: list[float | None]) -> str:
    ticks = "▁▂▃▄▅▆▇█"
    return "".join(" " if s is None or s != s else ticks[min(7, int(s / 10 * 8))] for s in scores)


def history_rows(sessions, answers, qbank, limit: int = 0) -> list[dict]:  # noqa: ANN001
    """One row per session, oldest first (the newest ``limit`` when it is positive), as
    ``history --json`` prints them and the web app's history page shows them."""
    from reports import analytics as an

    trend = an.session_trend(an.answers_frame(answers, qbank.questions, sessions), sessions)
    if limit > 0:
        trend = trend.tail(limit)
    return [{"session_id": t.session_id, "created_at": t.created_at.isoformat(), "mode": t.mode,
             "status": t.status, "questions": int(t.questions), "answered": int(t.answered),
             "graded": int(t.graded), "pending": int(t.pending), "score": None if t.score is None or t.score != t.score else round(t.score, 2),
             "topics": t.topics} for t in trend.itertuples()]


def progress_summary(sessions, answers, qbank) -> dict:  # noqa: ANN001
    """Overall mean, topic mastery (strongest first), each session's score and the reviews due, as
    ``progress --json`` prints them and the web app's progress page charts them."""
    from reports import analytics as an
    from reports.review import due_reviews, replay

    df = an.answers_frame(answers, qbank.questions, sessions)
    mastery = an.topic_mastery(df)
    trend = an.session_trend(df, sessions)
    mu = an.overall_mean(df)
    topics = [{"topic": r.topic, "mastery": round(float(r.mastery), 2), "answers": int(r.answers),
               "mean": round(float(r.mean), 2), "last": round(float(r.last), 2),
               "change": None if r.change != r.change else round(float(r.change), 2)} for r in mastery.itertuples()]
    scores = [None if s is None or s != s else round(float(s), 2) for s in trend["score"]]
    return {"overall": None if mu is None else round(mu, 2), "topics": topics,
            "sessions": [{"session_id": i, "score": s} for i, s in zip(trend["session_id"], scores)],
            "due": len(due_reviews(replay(answers)))}


def register(app: typer.Typer) -> None:  # noqa: C901 - one closure per command keeps the options together
    @app.command()
    def history(
        as_json: Annotated[bool, typer.Option("--json", help="Print the table as JSON.")] = False,
        limit: Annotated[int, typer.Option("--limit", help="Show the newest N sessions (0: all).")] = 20,
        bank: BankOpt = None,
        data_dir_opt: DataDirOpt = None,
    ) -> None:
        """List past sessions with their scores."""
        _, sessions, answers, qbank = _load(data_dir_opt, bank)
        rows = history_rows(sessions, answers, qbank, limit)
        if as_json:
            typer.echo(json.dumps(rows, ensure_ascii=False))
            return
        from rich.table import Table

        from interviewer.run import console

        if not rows:
            console().print("No sessions yet. Start one with: interviewer start")
            return
        shown = f"newest {len(rows)} of {plural(len(sessions), 'session')}" if len(rows) < len(sessions) else plural(len(sessions), "session")
        table = Table(title=shown[0].upper() + shown[1:])
        for col in ("session (UTC date-time)", "mode", "answered", "score", "topics"):
            table.add_column(col, justify="right" if col in ("answered", "score") else "left",
                             overflow="fold", no_wrap=col != "topics", ratio=1 if col == "topics" else None)
        for r in rows:
            mode = r["mode"] + (" (unfinished)" if r["status"] != "finished" else "")
            if r["pending"]:  # killed while grading: `interviewer resume` finishes it
                mode += f" ({r['pending']} pending)"
            table.add_row(r["session_id"], mode,
                          f"{r['answered']}/{r['questions']}", _fmt(r["score"]), r["topics"])
        console().print(table)

    @app.command()
    def progress(
        as_json: Annotated[bool, typer.Option("--json", help="Print mastery, trend and due count as JSON.")] = False,
        bank: BankOpt = None,
        data_dir_opt: DataDirOpt = None,
    ) -> None:
        """Topic mastery (strongest first, weakest last) and the score trend over sessions."""
        _, sessions, answers, qbank = _load(data_dir_opt, bank)
        summary = progress_summary(sessions, answers, qbank)
        if as_json:
            typer.echo(json.dumps(summary, ensure_ascii=False))
            return
        mu, topics, due = summary["overall"], summary["topics"], summary["due"]
        scores = [s["score"] for s in summary["sessions"]]
        from rich.table import Table

        from interviewer.run import console

        out = console()
        if not topics:
            out.print("No graded answers yet. Start with: interviewer start")
            return
        table = Table(title=f"Topic mastery · overall {_fmt(mu)} / 10 · weakest last")
        for col in ("topic", "mastery", "", "answers", "mean", "last", "change"):
            table.add_column(col, justify="left" if col in ("topic", "") else "right")
        for t in topics:
            style = "green" if t["mastery"] >= 7 else ("yellow" if t["mastery"] >= 4 else "red")
            change = "" if t["change"] is None else f"{t['change']:+.1f}"
            table.add_row(t["topic"], f"[{style}]{t['mastery']:.1f}[/{style}]", f"[{style}]{_bar(t['mastery'])}[/{style}]",
                          str(t["answers"]), f"{t['mean']:.1f}", f"{t['last']:.1f}", change)
        out.print(table)
        recent = scores[-20:]
        if recent:
            first, last = next((s for s in recent if s is not None), None), recent[-1]
            out.print(f"Trend over the last {plural(len(recent), 'session')}: {_spark(recent)}  "
                      f"{_fmt(first)} → {_fmt(last)}")
        out.print(f"Due for review: {plural(due, 'question')}.")
        weakest = [t["topic"] for t in topics[::-1][:2]]
        out.print("Drill the weakest: interviewer drill " + " ".join(f"--topic {t}" for t in weakest))
        out.print("[dim]Mastery: recency-weighted mean (half-life 14 days) shrunk toward your overall mean "
                  "by 3 pseudo-answers, so one answer cannot dominate a topic.[/dim]")

    @app.command()
    def export(
        fmt: Annotated[str, typer.Option("--format", "-f", help="csv, parquet or json.")] = "csv",
        output: Annotated[Optional[Path], typer.Option("--output", "-o", help="File to write ('-': stdout for csv/json). Default: the data dir's exports folder.")] = None,
        bank: BankOpt = None,
        data_dir_opt: DataDirOpt = None,
    ) -> None:
        """Export every answer with its latest verdict (one row per answer)."""
        if fmt not in EXPORT_FORMATS:
            raise UserError(f"--format {fmt!r} is not supported; use csv, parquet or json")
        from reports import analytics as an

        from rubrics.secrets import redact

        store, sessions, answers, qbank = _load(data_dir_opt, bank)
        df = an.answers_frame(answers, qbank.questions, sessions, with_verdicts=True)
        df = _map_text(df, redact)  # no secret leaves in an export, whatever is stored
        to_stdout = output is not None and str(output) == "-"
        if to_stdout and fmt == "parquet":
            raise UserError("parquet cannot go to stdout; pass --output FILE.parquet")
        if fmt == "json":
            text = json.dumps(an.export_records(df), ensure_ascii=False, indent=1)
        elif fmt == "csv":
            from rubrics.untrusted import csv_cell

            text = _map_text(df, csv_cell).to_csv(index=False)  # '=cmd|...' must not run in a spreadsheet
        if to_stdout:
            sys.stdout.write(text)
            return
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        path = output or store.path.parent / "exports" / f"answers-{stamp}.{fmt}"
        from reports.files import atomic_path

        try:
            with atomic_path(path) as tmp:  # never a half-written export where a good one was
                if fmt == "parquet":
                    try:
                        df.to_parquet(tmp, index=False)
                    except ImportError:
                        raise UserError("parquet export needs pyarrow: pip install 'mock-interview-grader[parquet]'") from None
                else:
                    tmp.write_text(text, encoding="utf-8")
        except OSError as e:
            raise UserError(f"cannot write {path}: {e.strerror or e}; choose another --output") from None
        typer.echo(f"{plural(len(df), 'answer')} -> {path}")

    @app.command()
    def drill(
        count: CountOpt = 5,
        minutes: MinutesOpt = None,
        topic: TopicOpt = None,
        seed: SeedOpt = None,
        lang: LangOpt = "en",
        follow_ups: FollowUpsOpt = None,
        answers: AnswersOpt = None,
        judge: JudgeOpt = None,
        api_base: ApiBaseOpt = None,
        api_key_env: ApiKeyEnvOpt = None,
        router_config: RouterOpt = None,
        samples: SamplesOpt = None,
        timeout: TimeoutOpt = None,
        no_cache: NoCacheOpt = False,
        bank: BankOpt = None,
        data_dir_opt: DataDirOpt = None,
    ) -> None:
        """Drill your weakest topics and the questions due for review (spaced repetition)."""
        from interviewer.config import follow_ups_setting
        from interviewer.drill import select_drill
        from interviewer.run import (
            build_judge, check_interview_options, console, ensure_answer_source, judge_settings, plan_minutes,
            read_scripted, run_interview,
        )
        from interviewer.session import create_session
        from reports.records import SessionSettings

        check_interview_options(lang, minutes)
        follow_ups = follow_ups_setting(follow_ups)
        scripted = read_scripted(answers)
        ensure_answer_source(scripted)
        store, sessions, history_answers, qbank = _load(data_dir_opt, bank, read_only_ok=False)
        picks = select_drill(qbank, history_answers, count, topic or [], seed)
        plan = [p.question_id for p in picks]
        total_minutes = plan_minutes(qbank, plan, minutes, follow_ups)
        judge_obj = build_judge(judge, api_base=api_base, api_key_env=api_key_env, router_config=router_config,
                                samples=samples, timeout=timeout, no_cache=no_cache, store=store,
                                lazy=scripted is None)
        from interviewer.judge_status import announce_judge

        announce_judge(store, judge_obj)

        from rich.table import Table

        table = Table(title=f"Drill: {plural(len(plan), 'question')}, {plural(total_minutes, 'minute')}", show_lines=False)
        table.add_column("#", justify="right")
        table.add_column("question", overflow="fold", ratio=2)
        table.add_column("why it was chosen", overflow="fold", ratio=3)
        for i, p in enumerate(picks, 1):
            table.add_row(str(i), f"{p.question_id} ({qbank.get(p.question_id).difficulty})", p.reason)
        console().print(table)
        if len(plan) < count:
            console().print(f"Only {plural(len(plan), 'question')} fit; drilling {'it' if len(plan) == 1 else 'those'}.")
        settings = SessionSettings(
            mode="drill", topics=topic or [], difficulty="mixed", count=len(plan), minutes=total_minutes, seed=seed,
            lang=lang, follow_ups=follow_ups, **judge_settings(judge, api_base, api_key_env, router_config, samples, timeout),  # type: ignore[arg-type]
            banks=sorted({*(p for s in sessions for p in s.settings.banks if Path(p).exists()),
                          *(str(p.resolve()) for p in bank or [])}),
        )
        from interviewer.variants import draw_variants

        session = create_session(store, settings, plan, {p.question_id: p.reason for p in picks},
                                 variants=draw_variants(qbank, plan, seed, history_answers))
        run_interview(store, qbank, session, judge_obj, scripted)
