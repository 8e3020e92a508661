"""Wiring shared by the commands: open the store, load the bank, build the judge, run the loop,
write the report. Imports are lazy so that ``interviewer --help`` pays for none of it."""

from __future__ import annotations

import sys
from pathlib import Path

from interviewer.errors import EXIT_UNGRADED, UserError


def open_store(opt: Path | None, read_only_ok: bool = False):  # noqa: ANN201
    """``read_only_ok`` for commands that only read: they work on a data dir they cannot write to."""
    from interviewer.paths import data_dir
    from interviewer.store import Store

    return Store.open(data_dir(opt), read_only_ok=read_only_ok)


def load_bank_or_fail(extra: list[Path] | None = None):  # noqa: ANN201
    from interviewer.paths import data_dir
    from question_bank.loader import BankError, chosen_cache_dir, load_bank

    if chosen_cache_dir() is None:
        data_dir()  # a command without --data-dir still keeps the cache in $INTERVIEWER_DATA_DIR
    try:
        return load_bank(extra or [])
    except BankError as e:
        raise UserError(str(e)) from None


def session_bank(session, extra: list[Path] | None = None):  # noqa: ANN001, ANN201
    """The bank a session was drawn from: the bundled one plus the user banks it named."""
    return load_bank_or_fail([*(Path(p) for p in session.settings.banks if Path(p).exists()), *(extra or [])])


def console(stderr: bool = False, soft_wrap: bool = False):  # noqa: ANN201
    """A rich console bound to the stream of the moment: litellm's import, on the judge loader's
    thread, swaps sys.stdout for a few seconds to silence its banners."""
    from rich.console import Console

    return Console(file=sys.stderr if stderr else sys.stdout, highlight=False, soft_wrap=soft_wrap)


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


def build_judge(spec: str | None, *, no_cache: bool = False, store=None, lazy: bool = False,  # noqa: ANN001, ANN201
                **options):  # noqa: ANN003
    """A judge from the command line's options (api_base, api_key_env, router_config, samples,
    timeout, concurrency), completed from the config file. ``lazy``: check the options now without
    litellm, and build the judge on a thread once the interview starts (interviewer.judge_loader)."""
    from interviewer.judge_factory import make_judge, precheck

    opts = judge_options(spec, **options)
    model = precheck(**opts)
    if not lazy:
        return make_judge(opts.pop("spec"), use_cache=not no_cache, store=store, **opts)
    from interviewer.judge_loader import LazyJudge

    llm = model != "offline"
    return LazyJudge(lambda: make_judge(opts.pop("spec"), use_cache=not no_cache, store=store, **opts),
                     name="llm" if llm else "offline", model=model, preflight=llm,
                     concurrency=opts["concurrency"] or (8 if llm else 1), identity=_identity(model, opts))


def _identity(model: str, opts: dict):  # noqa: ANN202
    """The judge's identity from its options, without building it (litellm loads later); None for
    a router, whose model names are only known once its config is loaded."""
    from rubrics.judge_trust import JudgeIdentity, normalize_endpoint

    if model == "offline":
        from rubrics.offline.judge import PROMPT_VERSION as OFFLINE_VERSION

        return JudgeIdentity("offline", None, OFFLINE_VERSION)
    if opts.get("router_config"):
        return None
    from rubrics.llm.prompt import PROMPT_VERSION

    return JudgeIdentity(model, normalize_endpoint(opts.get("api_base")), PROMPT_VERSION)


def judge_settings(spec: str | None, api_base: str | None, api_key_env: str | None, router_config: Path | None,
                   samples: int | None, timeout: float | None = None) -> dict:
    """The judge part of SessionSettings: enough to reach the same judge on resume and regrade."""
    opts = judge_options(spec, api_base=api_base, api_key_env=api_key_env, router_config=router_config, samples=samples,
                         timeout=timeout)
    router = opts["router_config"]
    return {"judge": opts["spec"], "api_base": opts["api_base"], "api_key_env": opts["api_key_env"],
            "router_config": str(Path(router).resolve()) if router else None, "samples": opts["samples"],
            "timeout": timeout}


def session_judge(settings, store, *, judge: str | None = None, api_base: str | None = None,  # noqa: ANN001, ANN201
                  api_key_env: str | None = None, router_config: Path | None = None, samples: int | None = None,
                  no_cache: bool = False, timeout: float | None = None, lazy: bool = False):
    """The session's own judge and endpoint, unless the user names another judge."""
    same = judge is None or judge == settings.judge
    saved_router = Path(settings.router_config) if same and settings.router_config else None
    return build_judge(
        judge or settings.judge,
        api_base=api_base or (settings.api_base if same else None),
        api_key_env=api_key_env or (settings.api_key_env if same else None),
        router_config=router_config or saved_router,
        samples=samples or (settings.samples if same else None),
        no_cache=no_cache, store=store, timeout=timeout or (settings.timeout if same else None), lazy=lazy,
    )


def check_lang(lang: str) -> None:
    if lang not in ("en", "zh"):
        raise UserError(f"--lang {lang!r} is not supported; use en or zh")


def check_interview_options(lang: str, minutes: float | None) -> None:
    check_lang(lang)
    if minutes is not None and minutes <= 0:
        raise UserError("--minutes must be positive")


def plan_minutes(qbank, plan: list[str], minutes: float | None, follow_ups: int = 0) -> float:  # noqa: ANN001
    """The interview's length: as asked, or 3/5/8 minutes per easy/medium/hard question plus what
    its follow-ups add (1/1.5/2 minutes each)."""
    from interviewer.session import FOLLOW_UP_SECONDS, MINUTES_BY_DIFFICULTY

    if minutes:
        return minutes
    return sum(MINUTES_BY_DIFFICULTY[d] + follow_ups * FOLLOW_UP_SECONDS[d] / 60
               for d in (qbank.get(q).difficulty for q in plan))


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
    """Run (or continue) ``session`` to its end, then grade what is left and write the reports.
    Exits with EXIT_UNGRADED when answers were given and none of them could be graded."""
    import typer

    from interviewer.judge_loader import LazyJudge
    from interviewer.session import BackgroundGrader, run_session
    from interviewer.store import StorageError
    from reports.labels import plural

    out = console()
    status = judge.status if isinstance(judge, LazyJudge) else None
    source = None
    if session.status == "finished":  # killed while grading its last answers: only that is left
        left = sum(a.verdict is None for a in store.answers(session.id))
        out.print(f"Session {session.id} ended while {plural(left, 'answer')} {'was' if left == 1 else 'were'} being graded; grading now.")
    elif scripted is not None:
        from interviewer.notices import warn
        from interviewer.scripted import ScriptedAnswers, length_warning

        problem = length_warning(scripted, len(session.plan))
        if problem:
            warn(problem)
        source = ScriptedAnswers(scripted)
    else:
        ensure_answer_source(scripted)
        from interviewer.tui import TerminalAnswers

        source = TerminalAnswers(status=status if status and status.model != "offline" else None)
        done = len(store.answers(session.id))
        resuming = f" Resuming after {plural(done, 'answer')}." if done else ""
        out.print(f"[bold]Mock interview[/bold] {session.id}: {plural(len(session.plan), 'question')}, "
                  f"{plural(session.settings.minutes, 'minute')}.{resuming} Answers are saved the moment you submit them.")
    if isinstance(judge, LazyJudge):
        judge.start()  # now, behind the first question
    grader = BackgroundGrader(store, judge, workers=grader_workers(judge), on_graded=status.note_verdict if status else None)
    try:
        outcome = run_session(store, qbank, session, source, grader, phrase=follow_up_phraser(judge),
                              warm_up=scripted is None)
        if grader.pending():
            with out.status(f"Grading the last {plural(grader.pending(), 'answer')}…"):
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
    report = finish_report(store, qbank, outcome.session, out)
    if report_grading_problems(store, report) and not report.graded:
        raise typer.Exit(EXIT_UNGRADED)


def follow_up_phraser(judge):  # noqa: ANN001, ANN201
    """With an LLM judge (and ``phrase_follow_ups`` left on in config.toml), a model words each
    follow-up after the candidate's answer; None otherwise. A judge still loading is not waited for:
    that follow-up keeps the bank's wording."""
    from interviewer.config import load_config
    from interviewer.judge_loader import LazyJudge

    if judge.name == "offline" or not load_config().interview.phrase_follow_ups:
        return None

    def phrase(question, follow_up, answer, lang):  # noqa: ANN001, ANN202
        model = judge.judge(timeout=0) if isinstance(judge, LazyJudge) else judge
        if model is None or not hasattr(model, "model"):
            return None
        from rubrics.llm.follow_up import phrase_follow_up

        text = phrase_follow_up(model, question, follow_up, answer, lang)
        return (text, model.model) if text else None

    return phrase


def finish_report(store, qbank, session, out):  # noqa: ANN001, ANN201
    """Write the session's reports and print its summary; the report."""
    report, paths = write_session_reports(store, qbank, session)
    print_summary(report, out)
    out.print("Reports: " + "  ".join(str(p) for p in paths.values()))
    return report


def write_session_reports(store, qbank, session):  # noqa: ANN001, ANN201
    """(report, {format: path}): the session's report files in the data dir, written afresh."""
    from reports.report import write_reports

    report = session_report(store, qbank, store.get_session(session.id))  # as stored: with its finished_at
    return report, write_reports(report, store.path.parent / "reports")


def session_report(store, qbank, session):  # noqa: ANN001, ANN201
    """The report of ``session`` as the store has it now, with the note on its judge's last check."""
    from interviewer.judge_status import report_check_note
    from reports.report import report_for

    report = report_for(store, session, qbank.questions)
    report.judge_check = report_check_note(store, session)
    return report


def report_grading_problems(store, report) -> int:  # noqa: ANN001
    """Say on stderr why answers are ungraded and how to grade them later; how many are."""
    turns = [*(q for q in report.questions if q.status == "ungraded"),
             *(f for q in report.questions for f in q.follow_ups if f.status == "ungraded")]
    reasons = list(dict.fromkeys(x.reason or "no reason recorded" for x in turns))
    if not reasons:
        return 0
    from reports.labels import plural

    err = console(stderr=True, soft_wrap=not sys.stderr.isatty())  # a log keeps each reason on one line
    ref = "latest" if store.get_session("latest").id == report.session_id else report.session_id
    err.print(f"[bold red]error:[/bold red] {plural(len(turns), 'answer')} could not be graded: {reasons[0]}",
              markup=True, highlight=False)
    for reason in reasons[1:3]:
        err.print(f"  also: {reason}", markup=False)
    err.print(f"Every answer is saved. Once the judge works, grade them with: interviewer regrade {ref}", markup=False)
    return len(turns)


def print_summary(report, out) -> None:  # noqa: ANN001
    from rich.table import Table

    from reports.labels import plural

    threads = any(q.follow_ups for q in report.questions)
    table = Table(title=f"Session {report.session_id}")
    for col in ("#", "topic", "difficulty", "time", "status", *(("answer · follow-ups",) if threads else ()), "score"):
        table.add_column(col, justify="left" if col in ("topic", "difficulty", "status") else "right")
    for q in report.questions:
        score = "–" if q.score is None else f"{q.score:.1f}"
        used = f"{int(q.seconds_used) // 60}:{int(q.seconds_used) % 60:02d}"
        status = (q.ended if q.status == "graded" else q.status).replace("_", " ")
        if q.status == "graded" and q.low_confidence:
            score += " ?"
        parts = (" · ".join("–" if x is None else f"{x:.1f}" for x in (q.main_score, *(f.score for f in q.follow_ups))),
                 ) if threads else ()
        table.add_row(str(q.position), q.topic, q.difficulty, used, status, *parts, score)
    out.print(table)
    overall = "–" if report.overall_score is None else f"{report.overall_score:.1f}"
    left_out = [f"{n} {what}" for n, what in ((report.ungraded, "ungraded"), (report.pending, "pending"),
                                              (report.time.not_reached if report.time else 0, "not reached")) if n]
    basis = f"over {plural(report.graded, 'graded answer')}" + (f"; left out: {', '.join(left_out)}" if left_out else "")
    out.print(f"[bold]Overall: {overall} / 10[/bold]  ({basis})")
    if threads:
        w = report.score_weights
        out.print(f"A question's score is {w.main:.0%} its answer and {w.follow_ups:.0%} its follow-ups "
                  "(shared equally; a skipped follow-up counts 0).", markup=False)
    if report.offline_judged:
        # say what the grade is: a text check of claims against the rubric, not an examiner's reading
        out.print("[dim]Graded by the offline judge: it checks what each answer claims against the rubric, by text; "
                  "it cannot follow reasoning and may miss correct ideas put in other words.[/dim]")
    if report.low_confidence:
        which = ", ".join(str(q.position) for q in report.low_confidence)
        out.print(f"[yellow]? Not judged reliably: {which}.[/yellow] For a second opinion: "
                  f"interviewer regrade {report.session_id} --all --judge MODEL", markup=True, highlight=False)
