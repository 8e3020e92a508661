"""Wiring shared by the commands: open the store, load the bank, build the judge, run the loop,
write the report. Imports are lazy so that ``interviewer --help`` pays for none of it."""

from __future__ import annotations

import sys
from pathlib import Path

from interviewer.errors import UserError


def data_dir(opt: Path | None) -> Path:
    from interviewer.store import default_data_dir

    return opt.expanduser() if opt else default_data_dir()


def open_store(opt: Path | None, read_only_ok: bool = False):  # noqa: ANN201
    """``read_only_ok`` for commands that only read: they work on a data dir they cannot write to."""
    from interviewer.store import Store

    return Store.open(data_dir(opt), read_only_ok=read_only_ok)


def load_bank_or_fail(extra: list[Path] | None = None):  # noqa: ANN201
    from question_bank.loader import BankError, load_bank

    try:
        return load_bank(extra or [])
    except BankError as e:
        raise UserError(str(e)) from None


def session_bank(session, extra: list[Path] | None = None):  # noqa: ANN001, ANN201
    """The bank a session was drawn from: the bundled one plus the user banks it named."""
    return load_bank_or_fail([*(Path(p) for p in session.settings.banks if Path(p).exists()), *(extra or [])])


def console(stderr: bool = False, soft_wrap: bool = False):  # noqa: ANN201
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=soft_wrap)


def judge_options(spec: str | None, *, api_base: str | None = None, api_key_env: str | None = None,
                  router_config: Path | None = None, samples: int | None = None, timeout: float | None = None,
                  concurrency: int | None = None) -> dict:
    """Command-line options over the config file, whose endpoint settings count only for its own model."""
    from interviewer.config import load_config
    from interviewer.judge_factory import resolve_spec

    cfg = load_config().judge
    model = resolve_spec(spec)
    use_cfg = cfg.model is not None and model == cfg.model

    def pick(given, saved):  # noqa: ANN001, ANN202
        return given if given is not None else (saved if use_cfg else None)

    return {"spec": model, "api_base": pick(api_base, cfg.api_base), "api_key_env": pick(api_key_env, cfg.api_key_env),
            "router_config": pick(router_config, cfg.router_config), "samples": pick(samples, cfg.samples) or 1,
            "timeout": pick(timeout, cfg.timeout), "concurrency": pick(concurrency, cfg.concurrency)}


def build_judge(spec: str | None, *, no_cache: bool = False, store=None, **options):  # noqa: ANN001, ANN003, ANN201
    """A judge from the command line's options (api_base, api_key_env, router_config, samples,
    timeout, concurrency), completed from the config file."""
    from interviewer.judge_factory import make_judge

    opts = judge_options(spec, **options)
    return make_judge(opts.pop("spec"), use_cache=not no_cache, store=store, **opts)


def judge_settings(spec: str | None, api_base: str | None, api_key_env: str | None, router_config: Path | None,
                   samples: int | None) -> dict:
    """The judge part of SessionSettings: enough to reach the same judge on resume and regrade."""
    opts = judge_options(spec, api_base=api_base, api_key_env=api_key_env, router_config=router_config, samples=samples)
    router = opts["router_config"]
    return {"judge": opts["spec"], "api_base": opts["api_base"], "api_key_env": opts["api_key_env"],
            "router_config": str(Path(router).resolve()) if router else None, "samples": opts["samples"]}


def session_judge(settings, store, *, judge: str | None = None, api_base: str | None = None,  # noqa: ANN001, ANN201
                  api_key_env: str | None = None, router_config: Path | None = None, samples: int | None = None,
                  no_cache: bool = False, timeout: float | None = None):
    """The session's own judge and endpoint, unless the user names another judge."""
    same = judge is None or judge == settings.judge
    saved_router = Path(settings.router_config) if same and settings.router_config else None
    return build_judge(
        judge or settings.judge,
        api_base=api_base or (settings.api_base if same else None),
        api_key_env=api_key_env or (settings.api_key_env if same else None),
        router_config=router_config or saved_router,
        samples=samples or (settings.samples if same else None),
        no_cache=no_cache, store=store, timeout=timeout,
    )


def check_interview_options(lang: str, minutes: float | None) -> None:
    if lang not in ("en", "zh"):
        raise UserError(f"--lang {lang!r} is not supported; use en or zh")
    if minutes is not None and minutes <= 0:
        raise UserError("--minutes must be positive")


def plan_minutes(qbank, plan: list[str], minutes: float | None) -> float:  # noqa: ANN001
    """The interview's length: as asked, or 3/5/8 minutes per easy/medium/hard question."""
    from interviewer.session import MINUTES_BY_DIFFICULTY

    return minutes or sum(MINUTES_BY_DIFFICULTY[qbank.get(q).difficulty] for q in plan)


def grader_workers(judge) -> int:  # noqa: ANN001
    return int(getattr(judge, "concurrency", 0) or (1 if judge.name == "offline" else 4))


def read_scripted(path: Path | None):  # noqa: ANN201
    if path is None:
        return None
    from interviewer.scripted import read_answers

    return read_answers(path)


def ensure_answer_source(scripted) -> None:  # noqa: ANN001
    """Checked before a session is created, so a failed start leaves nothing behind."""
    if scripted is None and not sys.stdin.isatty():
        raise UserError("no terminal to type answers in; run in a terminal or pass --answers FILE.jsonl")


def run_interview(store, qbank, session, judge, scripted=None) -> None:  # noqa: ANN001
    """Run (or continue) ``session`` to its end, then grade what is left and write the reports."""
    import typer

    from interviewer.session import BackgroundGrader, run_session
    from interviewer.store import StorageError

    out = console()
    source = None
    if session.status == "finished":  # killed while grading its last answers: only that is left
        left = sum(a.verdict is None for a in store.answers(session.id))
        out.print(f"Session {session.id} ended while {left} answer(s) were being graded; grading them now.")
    elif scripted is not None:
        from interviewer.scripted import ScriptedAnswers

        source = ScriptedAnswers(scripted)
    else:
        ensure_answer_source(scripted)
        from interviewer.tui import TerminalAnswers

        source = TerminalAnswers()
        done = len(store.answers(session.id))
        resuming = f" Resuming after {done} answered." if done else ""
        out.print(f"[bold]Mock interview[/bold] {session.id}: {len(session.plan)} questions, "
                  f"{session.settings.minutes:.0f} minutes.{resuming} Answers are saved the moment you submit them.")
    grader = BackgroundGrader(store, judge, workers=grader_workers(judge))
    try:
        outcome = run_session(store, qbank, session, source, grader)
        if grader.pending():
            with out.status(f"Grading the last {grader.pending()} answer(s)…"):
                grader.wait()
        grader.wait()
    except KeyboardInterrupt:
        grader.close(wait=False)
        out.print(f"\nStopped. Every submitted answer is saved. Continue with: interviewer resume {session.id}")
        raise typer.Exit(130) from None
    except StorageError as e:  # the disk refused an answer: say what to do, in one line
        grader.close(wait=False)
        again = f"interviewer resume {session.id}" + (" --answers FILE" if scripted is not None else "")
        raise StorageError(f"{e}; once it is fixed, `{again}` continues", reason=e.reason) from None
    finally:
        grader.close()
    if outcome.paused:
        out.print("Paused. Your answers and the text you were typing are saved. "
                  f"Continue with: [bold]interviewer resume {session.id}[/bold]")
        return
    finish_report(store, qbank, outcome.session, out)


def finish_report(store, qbank, session, out) -> dict[str, Path]:  # noqa: ANN001
    from reports.report import report_for, write_reports

    session = store.get_session(session.id)  # as stored: finished_at is set when the session ends
    report = report_for(store, session, qbank.questions)
    paths = write_reports(report, store.path.parent / "reports")
    print_summary(report, out)
    out.print("Reports: " + "  ".join(str(p) for p in paths.values()))
    return paths


def print_summary(report, out) -> None:  # noqa: ANN001
    from rich.table import Table

    table = Table(title=f"Session {report.session_id}")
    for col in ("#", "topic", "difficulty", "time", "status", "score"):
        table.add_column(col, justify="right" if col in ("#", "score") else "left")
    for q in report.questions:
        score = "–" if q.score is None else f"{q.score:.1f}"
        used = f"{int(q.seconds_used) // 60}:{int(q.seconds_used) % 60:02d}"
        table.add_row(str(q.position), q.topic, q.difficulty, used, q.ended if q.status == "graded" else q.status, score)
    out.print(table)
    overall = "–" if report.overall_score is None else f"{report.overall_score:.1f}"
    pending = f", {report.pending} pending" if report.pending else ""
    out.print(f"[bold]Overall: {overall} / 10[/bold]  ({report.graded} graded, {report.ungraded} ungraded{pending})")
