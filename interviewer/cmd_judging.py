"""CLI commands around judging: ``grade`` (one answer), ``calibrate`` (agreement with human
grades) and ``regrade`` (answers whose grading failed, or all of a session's with --all).

Registered by ``interviewer.cli`` through ``register(app)``; everything heavy is imported inside
the commands so ``interviewer --help`` stays instant and never imports litellm.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from interviewer.errors import EXIT_UNGRADED, UserError
from interviewer.options import (
    ApiBaseOpt, ApiKeyEnvOpt, BankOpt, DataDirOpt, JsonOpt, JudgeOpt, NoCacheOpt, RouterOpt, SamplesOpt,
    SessionSamplesOpt, TimeoutOpt,
)

if TYPE_CHECKING:
    from question_bank.models import Question
    from reports.records import AnswerRecord, FollowUpRecord
    from rubrics.verdict import Verdict

WorkersOpt = Annotated[
    Optional[int],
    typer.Option("--workers", min=1, max=32,
                 help="Processes grading in parallel with an LLM judge (litellm's CPU per call caps one process); "
                      "default: up to 2 for 200+ answers, else 1."),
]


def _workers_for(j, n_items: int, concurrency: int, requested: int | None) -> int:  # noqa: ANN001
    """How many processes to grade with: only LLM judges that can be rebuilt in a worker."""
    if not hasattr(j, "worker_recipe") or (getattr(j, "router", None) is not None and j.router_config is None):
        return 1
    from rubrics.parallel import auto_workers

    return requested if requested is not None else auto_workers(n_items, concurrency)


def _is_llm(spec: str | None, router_config: Path | None) -> bool:
    from interviewer.judge_factory import resolve_spec

    return router_config is not None or resolve_spec(spec) != "offline"


def _fmt(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def print_verdict(v, console) -> None:  # noqa: ANN001
    """A verdict for people: score, per-point credits with evidence, penalties, flags, cost. Every
    text in it came from a model, a bank or an answer: printed as text, without control sequences."""
    from rich.markup import escape as rich_escape

    from rubrics.untrusted import strip_controls

    def escape(text: str) -> str:
        return rich_escape(strip_controls(text))

    from reports.labels import plural

    if v.status != "graded":
        console.print(f"[bold red]ungraded[/bold red]: {escape(v.reason or 'unknown reason')}")
    else:
        model = escape(f" · {v.model}") if v.model else ""
        console.print(f"[bold]score {v.score:g} / {v.max_score:g}[/bold]  ({escape(v.judge)}{model})")
    mark = {"full": "[green]✔ full   [/green]", "partial": "[yellow]◐ partial[/yellow]", "none": "[red]✘ none   [/red]"}
    for kp in v.key_points:
        console.print(f"  {mark[kp.credit.value]} ({kp.weight:g}) {escape(kp.text or kp.id)}")
        if kp.evidence:
            console.print(f"             [dim]“{escape(kp.evidence)}”[/dim]")
    for m in v.misconceptions:
        console.print(f"  [red]− {m.penalty:g}[/red] misconception: {escape(m.text or m.id)}")
    for f in v.flags:
        console.print(f"  [magenta]flag {f.kind}[/magenta]: {escape(f.detail)}")
    if v.feedback:
        console.print(f"\n{escape(v.feedback)}")
    u = v.usage
    if u.calls or u.cached:
        if u.cached:
            cost = "cached"
        elif u.cost_usd is None:
            cost = "cost unknown"
        else:
            cost = f"${u.cost_usd:.5f}"
        console.print(f"[dim]{u.prompt_tokens}+{u.completion_tokens} tokens · {plural(u.calls, 'call')} · {cost} · "
                      f"{u.duration_ms / 1000:.1f}s[/dim]")


def grade(
    question: Annotated[str, typer.Option("--question", "-q", help="Question id (see `interviewer bank list`).")],
    answer_file: Annotated[Path, typer.Option("--answer-file", "-a", help="UTF-8 text file with the answer; '-' reads stdin.")],
    judge: JudgeOpt = None,
    api_base: ApiBaseOpt = None,
    api_key_env: ApiKeyEnvOpt = None,
    router_config: RouterOpt = None,
    samples: SamplesOpt = None,
    no_cache: NoCacheOpt = False,
    timeout: TimeoutOpt = None,
    as_json: JsonOpt = False,
    row: Annotated[Optional[str], typer.Option("--variant", help="A parameterised question's row to grade against; default: its canonical row.")] = None,
    bank: BankOpt = None,
    data_dir_opt: DataDirOpt = None,
) -> None:
    """Grade one answer to one question and print the verdict (exit 3 when it stays ungraded)."""
    from interviewer.run import build_judge, console, load_bank_or_fail, open_store
    from rubrics.judge import grade_answer

    if str(answer_file) == "-":
        answer = sys.stdin.read()
    else:
        try:
            answer = answer_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise UserError(f"cannot read --answer-file {answer_file}: {getattr(e, 'strerror', None) or e}") from None
    q = question_or_fail(load_bank_or_fail(bank), question, row)
    # the store only caches and logs here: a read-only data dir still grades (without caching)
    store = open_store(data_dir_opt, read_only_ok=True) if _is_llm(judge, router_config) else None
    j = build_judge(judge, api_base=api_base, api_key_env=api_key_env, router_config=router_config, samples=samples,
                    no_cache=no_cache, store=store, timeout=timeout)
    v = grade_answer(j, q, answer)
    if as_json:
        typer.echo(v.model_dump_json(indent=2))
    else:
        print_verdict(v, console(soft_wrap=True))
    if v.status != "graded":
        raise typer.Exit(EXIT_UNGRADED)


def question_or_fail(qbank, qid: str, row: str | None = None):  # noqa: ANN001, ANN202
    """The question ``qid``, as its ``row`` when one is named (a parameterised question's variant)."""
    from question_bank.loader import BankError
    from question_bank.variants import rows, variant

    try:
        q = qbank.get(qid)
    except BankError as e:
        raise UserError(str(e)) from None
    if row is None:
        return q
    if row not in rows(q):
        have = f"its variants: {', '.join(rows(q))}" if rows(q) else "it is not parameterised"
        raise UserError(f"question {qid!r} has no variant {row!r}; {have}")
    return variant(q, row)


def calibrate(
    file: Annotated[Path, typer.Argument(metavar="FILE.jsonl", help='Lines of {"id","question","reference_answer","answer","score","max_score"} (+ optional "key_points"), or {"question_id","answer","score","max_score"} to use a bank question\'s rubric.')],
    judge: JudgeOpt = None,
    bank: BankOpt = None,
    api_base: ApiBaseOpt = None,
    api_key_env: ApiKeyEnvOpt = None,
    router_config: RouterOpt = None,
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", min=1, max=256, help="Requests in flight for LLM judges.")] = 8,
    samples: SamplesOpt = None,
    no_cache: NoCacheOpt = False,
    timeout: TimeoutOpt = None,
    as_json: JsonOpt = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="Write one CSV row per item: id,score,max_score,predicted,status.")] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="Only the first N valid lines.")] = None,
    workers: WorkersOpt = None,
    data_dir_opt: DataDirOpt = None,
) -> None:
    """Grade human-graded answers and report agreement: n, Pearson, Spearman, QWK, exact and
    adjacent agreement, MAE and standardised mean difference (judge minus human)."""
    from interviewer.run import build_judge, console, load_bank_or_fail, open_store
    from rubrics.calibration import (
        agrade_items, compute_metrics, grade_items, item_result, load_items, write_items_csv,
    )

    if not file.is_file():
        raise UserError(f"{file}: no such file; pass a JSONL file of human-graded answers")
    loaded = []

    def bank_question(qid: str):  # noqa: ANN202 - the bank is loaded once, only if a line names a question
        if not loaded:
            loaded.append(load_bank_or_fail(bank))
        q = loaded[0].questions.get(qid)
        if q is None:
            raise LookupError(f"unknown question id {qid!r}; `interviewer bank list` shows the ids")
        return q

    items, problems = load_items(file, bank_question)
    err = console(stderr=True, soft_wrap=True)
    from rubrics.untrusted import strip_controls

    for p in problems:
        err.print(strip_controls(f"{file}: {p}"), markup=False)
    if limit:
        items = items[:limit]
    if not items:
        raise UserError(f"{file}: no usable lines ({len(problems)} skipped); see the messages above")
    llm = _is_llm(judge, router_config)
    store = open_store(data_dir_opt, read_only_ok=True) if llm and not no_cache else None
    j = build_judge(judge, api_base=api_base, api_key_env=api_key_env, router_config=router_config, samples=samples,
                    no_cache=no_cache, store=store, timeout=timeout, concurrency=concurrency)

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    run = None
    n_workers = _workers_for(j, len(items), concurrency, workers)
    if n_workers > 1:
        from rubrics.parallel import Job, start_workers

        # started before the progress bar's thread exists, so that workers can be forked
        run = start_workers(j, [Job(i, it.question, it.answer) for i, it in enumerate(items)], n_workers, concurrency)
    progress = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err, transient=True, disable=not err.is_terminal)
    with progress:
        task = progress.add_task("grading", total=len(items))

        def done(_res) -> None:  # noqa: ANN001
            progress.advance(task)

        if run is not None:
            verdicts = run.collect(on_result=lambda _i, _v: done(None))
            results = [item_result(it, verdicts[i]) for i, it in enumerate(items)]
        elif hasattr(j, "agrade"):
            import asyncio

            results = asyncio.run(agrade_items(items, j, concurrency, on_done=done))
        else:
            results = grade_items(items, j, 1, on_done=done)
    metrics = compute_metrics(results)
    if out is not None:
        try:
            write_items_csv(results, out)
        except OSError as e:
            raise UserError(f"cannot write --out {out}: {e.strerror or e}") from None
    ungraded_reasons = sorted({r.reason or "" for r in results if r.status != "graded"})
    if as_json:
        typer.echo(json.dumps({
            "file": str(file), "judge": getattr(j, "model", None) or j.name, "metrics": metrics.as_dict(),
            "skipped_lines": len(problems), "ungraded_reasons": ungraded_reasons[:10],
        }, ensure_ascii=False))
        return
    con = console(soft_wrap=True)
    from rich.table import Table

    t = Table(title=f"calibration of {getattr(j, 'model', None) or j.name} on {file.name}", show_header=False)
    t.add_column("metric")
    t.add_column("value", justify="right")
    rows = [
        ("n (graded)", str(metrics.n)), ("ungraded", str(metrics.ungraded)), ("skipped lines", str(len(problems))),
        ("scale (max_score)", f"{metrics.scale:g}"),
        ("Pearson", _fmt(metrics.pearson)), ("Spearman", _fmt(metrics.spearman)),
        ("quadratic weighted kappa", _fmt(metrics.qwk)),
        ("exact agreement", _fmt(metrics.exact)), ("adjacent agreement (±1)", _fmt(metrics.adjacent)),
        ("MAE", _fmt(metrics.mae)), ("standardised mean difference", _fmt(metrics.smd)),
    ]
    for k, v in rows:
        t.add_row(k, v)
    con.print(t)
    from rubrics.untrusted import strip_controls

    for reason in ungraded_reasons[:5]:
        err.print(f"ungraded: {strip_controls(reason)}", markup=False)
    if out is not None:
        con.print(f"items written to {out}", markup=False)


def regrade(
    session: Annotated[str, typer.Argument(help="Session id, prefix, or 'latest'.")] = "latest",
    judge: Annotated[Optional[str], typer.Option("--judge", help="Judge to use; default: the session's own judge.")] = None,
    api_base: ApiBaseOpt = None,
    api_key_env: ApiKeyEnvOpt = None,
    router_config: RouterOpt = None,
    samples: SessionSamplesOpt = None,
    no_cache: NoCacheOpt = False,
    timeout: TimeoutOpt = None,
    all_answers: Annotated[bool, typer.Option("--all", help="Regrade every answer, not only the ungraded ones.")] = False,
    workers: WorkersOpt = None,
    as_json: JsonOpt = False,
    bank: BankOpt = None,
    data_dir_opt: DataDirOpt = None,
) -> None:
    """Grade again the answers of a session whose grading failed (or all of them with --all)."""
    from concurrent.futures import ThreadPoolExecutor

    from interviewer.run import open_store, session_bank, session_judge, write_session_reports
    from reports.labels import plural
    from rubrics.judge import grade_answer

    store = open_store(data_dir_opt)
    rec = store.get_session(session)
    answers = store.attach_follow_ups(store.answers(rec.id))
    records = [x for a in answers for x in (a, *(f for f in a.follow_ups if f.answer is not None))]
    todo = [x for x in records if all_answers or x.verdict is None or x.verdict.status != "graded"]
    if not todo:
        msg = f"nothing to regrade: all {len(records)} answers of {rec.id} are graded (--all regrades them anyway)"
        typer.echo(json.dumps({"session": rec.id, "regraded": []}) if as_json else msg)
        return
    qbank = session_bank(rec, bank)
    # the instance each answer was given to (a follow-up shares its main answer's row)
    asked = {a.position: a.variant or rec.variants.get(a.position) for a in answers}
    targets = [_target(x, qbank, asked.get(x.position)) for x in todo]
    spec = judge or rec.settings.judge
    j = session_judge(rec.settings, store, judge=judge, api_base=api_base, api_key_env=api_key_env,
                      router_config=router_config, samples=samples, no_cache=no_cache, timeout=timeout)

    def one(t: _Target):  # noqa: ANN202
        if t.question is None:
            return t, None
        v = grade_answer(j, t.question, t.record.answer or "")
        t.save(store, v)
        return t, v

    concurrency = max(1, int(getattr(j, "concurrency", 1) or 1))
    n_workers = _workers_for(j, len(targets), concurrency, workers)
    if n_workers > 1:
        outcomes = _regrade_in_processes(j, targets, store, n_workers, concurrency)
    else:
        with ThreadPoolExecutor(max_workers=max(1, min(len(targets), concurrency)),
                                thread_name_prefix="regrade") as pool:
            outcomes = list(pool.map(one, targets))
    rows = []
    for t, v in outcomes:
        a = t.record
        rows.append({
            "answer_id": None if _is_follow_up(a) else a.id, "position": a.position,
            "question_id": a.question_id, "follow_up": getattr(a, "number", None),
            "status": v.status if v else "skipped", "score": v.score if v else None,
            "reason": (v.reason if v else t.problem),
        })
    # the report files of a finished session were written with the old verdicts: write them again
    paths = write_session_reports(store, qbank, rec)[1] if rec.status == "finished" else {}
    if as_json:
        typer.echo(json.dumps({"session": rec.id, "judge": spec, "regraded": rows,
                               "reports": [str(p) for p in paths.values()]}, ensure_ascii=False))
    else:
        from rubrics.untrusted import strip_controls

        for r in rows:
            tail = f"{r['score']:g}/10" if r["score"] is not None else f"{r['status']}: {r['reason']}"
            what = f" follow-up {r['follow_up']}" if r["follow_up"] else ""
            typer.echo(strip_controls(f"#{r['position'] + 1}{what} {r['question_id']}: {tail}"))
        graded = sum(r["status"] == "graded" for r in rows)
        typer.echo(f"regraded {plural(len(rows), 'answer')} of {rec.id} with {spec}: {graded} graded, "
                   f"{len(rows) - graded} not")
        if paths:
            typer.echo("reports updated: " + "  ".join(str(p) for p in paths.values()))
    if any(r["status"] != "graded" for r in rows):
        raise typer.Exit(EXIT_UNGRADED)


@dataclass
class _Target:
    """An answer to regrade (a main answer or a follow-up's) and the question it is graded against,
    or why it cannot be (the bank lost the question)."""

    record: AnswerRecord | FollowUpRecord
    question: Question | None
    problem: str | None = None

    def save(self, store, v: Verdict) -> None:  # noqa: ANN001
        if _is_follow_up(self.record):
            store.save_follow_up_verdict(self.record.id, v)
        else:
            store.save_verdict(self.record.id, v)


def _is_follow_up(record: AnswerRecord | FollowUpRecord) -> bool:
    from reports.records import FollowUpRecord

    return isinstance(record, FollowUpRecord)


def _target(record: AnswerRecord | FollowUpRecord, qbank, row: str | None = None) -> _Target:  # noqa: ANN001
    """``row``: the variant the question was asked with (None: canonical)."""
    from interviewer.follow_ups import asked_question
    from question_bank.loader import BankError
    from question_bank.variants import variant

    try:
        q = variant(qbank.get(record.question_id), row)
    except BankError as e:
        return _Target(record, None, str(e))
    if _is_follow_up(record):
        asked = asked_question(q, record)
        return _Target(record, asked, None if asked else f"follow-up {record.follow_up_id!r} is no longer in the bank")
    return _Target(record, q)


def _regrade_in_processes(j, targets: list[_Target], store, workers: int, concurrency: int) -> list:  # noqa: ANN001
    """Regrade across worker processes; verdicts are saved here, as each arrives."""
    from rubrics.parallel import Job, start_workers

    outcomes: list = [(t, None) for t in targets]
    jobs = [Job(k, t.question, t.record.answer or "") for k, t in enumerate(targets) if t.question is not None]

    def save(k: int, v) -> None:  # noqa: ANN001
        targets[k].save(store, v)
        outcomes[k] = (targets[k], v)

    start_workers(j, jobs, workers, concurrency).collect(on_result=save)
    return outcomes


def register(app: typer.Typer) -> None:
    app.command("grade")(grade)
    app.command("calibrate")(calibrate)
    app.command("regrade")(regrade)
