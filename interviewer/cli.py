"""The ``interviewer`` command. Only this package wires the bank, the judges and the reports.

Heavy imports (litellm, pandas, jinja2, prompt_toolkit) happen inside the commands that need
them, so ``interviewer --help`` stays instant.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from interviewer.errors import UserError
from interviewer.options import (
    AnswersOpt, ApiBaseOpt, ApiKeyEnvOpt, BankOpt, CountOpt, DataDirOpt, FollowUpsOpt, JsonOpt, JudgeOpt, LangOpt,
    MinutesOpt, NoCacheOpt, RouterOpt, SamplesOpt, SeedOpt, SessionFollowUpsOpt, SessionSamplesOpt, TimeoutOpt, TopicOpt,
)

app = typer.Typer(
    name="interviewer",
    help="Timed mock interviews for LLM / deep-learning algorithm engineers, graded against a rubric.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
bank_app = typer.Typer(help="Inspect and validate question banks.", no_args_is_help=True)
app.add_typer(bank_app, name="bank")

# -- interview ---------------------------------------------------------------------------------

@app.command()
def start(
    topic: TopicOpt = None,
    difficulty: Annotated[str, typer.Option("--difficulty", "-d", help="easy, medium, hard or mixed.")] = "mixed",
    count: CountOpt = 5,
    minutes: MinutesOpt = None,
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
    """Run a timed mock interview, grade every answer, and write the report."""
    from interviewer.config import follow_ups_setting
    from interviewer.draw import draw_questions
    from interviewer.run import (
        build_judge, check_interview_options, ensure_answer_source, judge_settings, load_bank_or_fail,
        open_store, plan_minutes, read_scripted, run_interview,
    )
    from interviewer.scripted import pinned_positions, pinned_variants
    from interviewer.session import create_session
    from interviewer.variants import draw_variants
    from reports.records import SessionSettings

    check_interview_options(lang, minutes)
    follow_ups = follow_ups_setting(follow_ups)
    scripted = read_scripted(answers)
    ensure_answer_source(scripted)
    store = open_store(data_dir_opt)
    qbank = load_bank_or_fail(bank)
    plan = draw_questions(qbank, topic or [], difficulty, count, seed,
                          pinned=pinned_positions(scripted) if scripted else None)
    variants = draw_variants(qbank, plan, seed, store.all_answers(),
                             pinned=pinned_variants(scripted) if scripted else None)
    judge_obj = build_judge(judge, api_base=api_base, api_key_env=api_key_env, router_config=router_config,
                            samples=samples, timeout=timeout, no_cache=no_cache, store=store, lazy=scripted is None)
    from interviewer.judge_status import announce_judge

    announce_judge(store, judge_obj, hint_unless=(judge, router_config))
    settings = SessionSettings(
        topics=topic or [], difficulty=difficulty, count=count, minutes=plan_minutes(qbank, plan, minutes, follow_ups),
        seed=seed, lang=lang, banks=[str(p.resolve()) for p in bank or []], follow_ups=follow_ups,  # type: ignore[arg-type]
        **judge_settings(judge, api_base, api_key_env, router_config, samples, timeout),
    )
    run_interview(store, qbank, create_session(store, settings, plan, variants=variants), judge_obj, scripted)


@app.command()
def resume(
    session: Annotated[str, typer.Argument(help="Session id or prefix; default: the newest unfinished one.")] = "latest-active",
    answers: AnswersOpt = None,
    follow_ups: SessionFollowUpsOpt = None,
    judge: Annotated[Optional[str], typer.Option("--judge", help="Judge for the remaining answers; default: the session's own.")] = None,
    api_base: ApiBaseOpt = None,
    api_key_env: ApiKeyEnvOpt = None,
    router_config: RouterOpt = None,
    samples: SessionSamplesOpt = None,
    timeout: TimeoutOpt = None,
    no_cache: NoCacheOpt = False,
    bank: BankOpt = None,
    data_dir_opt: DataDirOpt = None,
) -> None:
    """Continue an interrupted interview where it stopped (answers already given are kept)."""
    from interviewer.run import ensure_answer_source, open_store, read_scripted, run_interview, session_bank, session_judge

    store = open_store(data_dir_opt)
    rec = store.get_session(session)
    if rec.status == "finished" and all(a.verdict is not None for a in store.answers(rec.id)):
        raise UserError(f"session {rec.id} is already finished; `interviewer report {rec.id}` shows its report")
    scripted = read_scripted(answers)
    if rec.status != "finished":  # a finished session only has grading left: no answers to type
        ensure_answer_source(scripted)
    if follow_ups is not None and follow_ups != rec.settings.follow_ups:
        rec.settings.follow_ups = follow_ups  # the interview's length stays: later questions share it
        store.update_settings(rec.id, rec.settings)
    qbank = session_bank(rec, bank)
    judge_obj = session_judge(rec.settings, store, judge=judge, api_base=api_base, api_key_env=api_key_env,
                              router_config=router_config, samples=samples, timeout=timeout, no_cache=no_cache,
                              lazy=scripted is None)
    run_interview(store, qbank, rec, judge_obj, scripted)


@app.command()
def report(
    session: Annotated[str, typer.Argument(help="Session id, prefix, or 'latest'.")] = "latest",
    fmt: Annotated[str, typer.Option("--format", "-f", help="html, md or json.")] = "html",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="File to write; '-' for stdout. Default: the data dir's reports folder.")] = None,
    bank: BankOpt = None,
    data_dir_opt: DataDirOpt = None,
) -> None:
    """Write the feedback report of a session."""
    from interviewer.run import open_store, session_bank, session_report
    from reports.report import FORMATS, render

    if fmt not in FORMATS:
        raise UserError(f"--format {fmt!r} is not supported; use html, md or json")
    from reports.files import write_text_atomic

    store = open_store(data_dir_opt, read_only_ok=True)
    rec = store.get_session(session)
    text = render(session_report(store, session_bank(rec, bank), rec), fmt)
    if output is not None and str(output) == "-":
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    path = output or store.path.parent / "reports" / f"{rec.id}.{fmt}"
    try:
        write_text_atomic(path, text)  # a kill mid-write leaves the previous report, not an empty file
    except OSError as e:
        raise UserError(f"cannot write {path}: {e.strerror or e}; choose another --output") from None
    typer.echo(str(path))


# -- bank --------------------------------------------------------------------------------------

@bank_app.command("validate")
def bank_validate(paths: Annotated[Optional[list[Path]], typer.Argument(help="Files or folders; default: the whole bank.")] = None) -> None:
    """Check bank files: every mistake gets a line naming the file, line, question id and field."""
    from question_bank.loader import check_bank

    b, problems = check_bank(paths or [], include_builtin=not paths)
    parameterised = [q for q in b.questions.values() if q.params]
    if parameterised:  # every row's reference answer must earn full marks with its own rubric
        from rubrics.variant_check import reference_problems

        problems += [f"{b.sources[q.id]}: {line}" for q, line in reference_problems(parameterised)]
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    if problems:
        if len(problems) > 1:
            files = len({p.split(":", 1)[0] for p in problems})
            typer.echo(f"{len(problems)} mistakes in {files} file{'s' if files != 1 else ''}", err=True)
        raise typer.Exit(1)
    typer.echo(f"OK: {len(b)} questions over {len(b.topics)} topics")


@bank_app.command("stats")
def bank_stats(as_json: JsonOpt = False, bank: BankOpt = None) -> None:
    """Questions per topic and difficulty, and languages."""
    from interviewer.run import console, load_bank_or_fail

    stats = load_bank_or_fail(bank).stats()
    if as_json:
        typer.echo(json.dumps(stats, ensure_ascii=False))
        return
    from rich.table import Table

    kinds = " · ".join(f"{k} {n}" for k, n in stats["kinds"].items())
    params = f" · parameterised {stats['parameterised']} ({stats['variants']} variants)" if stats["parameterised"] else ""
    table = Table(title=f"{stats['questions']} questions · en {stats['languages']['en']} · zh {stats['languages']['zh']} · {kinds}{params}")
    for col in ("topic", "easy", "medium", "hard", "total"):
        table.add_column(col, justify="left" if col == "topic" else "right")
    for t, cells in stats["topics"].items():
        table.add_row(t, *(str(cells[d]) for d in ("easy", "medium", "hard")), str(sum(cells.values())))
    console().print(table)


@bank_app.command("list")
def bank_list(
    topic: TopicOpt = None,
    difficulty: Annotated[Optional[str], typer.Option("--difficulty", "-d", help="easy, medium or hard; default: all.")] = None,
    kind: Annotated[Optional[str], typer.Option("--kind", "-k", help="concept, numeric, coding or design; default: all.")] = None,
    as_json: JsonOpt = False,
    bank: BankOpt = None,
) -> None:
    """List questions (id, topic, difficulty, kind, text)."""
    from interviewer.run import load_bank_or_fail
    from question_bank.loader import BankError
    from rubrics.untrusted import strip_controls

    b = load_bank_or_fail(bank)
    try:
        qs = b.select(topic or [], difficulty, kind)
    except BankError as e:
        raise UserError(str(e)) from None
    if as_json:
        typer.echo(json.dumps([q.model_dump(mode="json") for q in qs], ensure_ascii=False))
        return
    for q in qs:  # bank text is not ours: no control sequence reaches the terminal, even through a pipe
        typer.echo(strip_controls(f"{q.id}\t{q.topic}\t{q.difficulty}\t{q.kind}\t{' '.join(q.text.en.split())}"))


@bank_app.command("show")
def bank_show(
    qid: Annotated[str, typer.Argument(metavar="ID", help="Question id (see `interviewer bank list`).")],
    as_json: JsonOpt = False,
    lang: Annotated[str, typer.Option("--lang", help="en or zh: the language to show the question in.")] = "en",
    row: Annotated[Optional[str], typer.Option("--variant", help="A parameterised question's row to render it with; default: its canonical row.")] = None,
    bank: BankOpt = None,
) -> None:
    """Show one question with its reference answer and rubric."""
    from rich.text import Text

    from interviewer.cmd_judging import question_or_fail
    from interviewer.run import check_lang, console, load_bank_or_fail
    from question_bank.variants import row_of, row_values, rows
    from rubrics.untrusted import strip_controls

    check_lang(lang)
    b = load_bank_or_fail(bank)
    q = question_or_fail(b, qid, row)
    if as_json:
        typer.echo(q.model_dump_json(indent=2))
        return
    out = console()

    def show(*parts: str | tuple[str, str]) -> None:
        """Bank text as text: never read as Rich markup ('E[m x]', '[/bold]'), never with control codes."""
        out.print(Text.assemble(*((strip_controls(p[0]), p[1]) if isinstance(p, tuple) else strip_controls(p)
                                  for p in parts)))

    show((q.id, "bold"), f"  {q.topic} · {q.subtopic} · {q.difficulty}  ({b.sources[q.id]})")
    if rows(q):
        others = [r for r in rows(q) if r != row_of(q)]
        show(("Variant ", "dim"), (row_of(q) or "", "bold"), ("  (others: " + ", ".join(others) + ")", "dim"))
        numbers = {k: v for k, v in row_values(q).items() if not isinstance(v, str) or k == "name"}
        show(("  " + "  ".join(f"{k}={v:.12g}" if not isinstance(v, str) else f"{k}={v}" for k, v in numbers.items()), "dim"))
    if lang not in q.languages():
        show((f"{q.id} has no {lang} text; showing English", "dim"))
    show((q.text.get(lang), "bold"))
    show("\n", ("Reference answer", "dim"), "\n", q.reference_answer.get(lang))
    if q.rubric.key_points:
        show("\n", ("Key points", "dim"))
        for k in q.rubric.key_points:
            show(f"  • ({k.weight:g}) {k.text.get(lang)}")
    if q.rubric.misconceptions:
        show("\n", ("Misconceptions", "dim"))
        for m in q.rubric.misconceptions:
            show(f"  − ({m.penalty:g}) {m.text.get(lang)}")
    for f in q.follow_ups:
        show("\n", ("Follow-up", "dim"), f" {f.text.get(lang)}")


@bank_app.command("schema")
def bank_schema(output: Annotated[Optional[Path], typer.Option("--output", "-o", help="File to write; default: stdout.")] = None,
                table: Annotated[bool, typer.Option("--table", help="The schema of a shared table (tables/*.yaml) instead.")] = False) -> None:
    """Write the JSON Schema of a bank file (generated from the models) for editor validation."""
    from question_bank.models import BankFile, ConfigTable

    schema = (ConfigTable if table else BankFile).model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"mock-interview-grader {'shared table' if table else 'question bank file'}"
    text = json.dumps(schema, indent=2, ensure_ascii=False)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
        typer.echo(str(output))
    else:
        typer.echo(text)


# -- other command groups register themselves ---------------------------------------------------

def _register_extensions() -> None:
    import importlib
    import importlib.util

    for name in ("interviewer.cmd_judging", "interviewer.cmd_history", "interviewer.cmd_judge", "interviewer.cmd_setup",
                 "interviewer.cmd_serve"):
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name).register(app)


_register_extensions()


def _click_classes(name: str) -> tuple[type[BaseException], ...]:
    """Exception ``name`` from typer's own copy of click and from click (older typers use click)."""
    import importlib

    found = []
    for module in ("typer._click.exceptions", "click.exceptions"):
        try:
            found.append(getattr(importlib.import_module(module), name))
        except (ImportError, AttributeError):
            pass
    return tuple(found)


def _show_click_error(e: Exception) -> int:
    """A usage error is the user's mistake: say what was wrong, then the command's usage line."""
    typer.echo(f"error: {e.format_message()}", err=True)  # type: ignore[attr-defined]
    ctx = getattr(e, "ctx", None)
    if ctx is not None:
        typer.echo(f"{ctx.get_usage()}  (`{ctx.command_path} --help` lists the options)", err=True)
    return int(getattr(e, "exit_code", 1))


def _one_line(e: Exception) -> str:
    """An error message as one printable line, without secrets (a provider may echo a key) or
    control sequences (it may quote a bank file or a model)."""
    from rubrics.secrets import redact
    from rubrics.untrusted import strip_controls

    return " ".join(strip_controls(redact(str(e))).split())


def main() -> None:
    """Entry point: every failure the user can fix is one line on stderr and a non-zero exit."""
    from question_bank.loader import BankError

    try:
        code = app(standalone_mode=False, prog_name="interviewer")  # click returns an Exit's code here instead of raising it
    except (UserError, BankError) as e:
        typer.echo(f"error: {_one_line(e)}", err=True)
        sys.exit(1)
    except (typer.Abort, *_click_classes("Abort")):
        typer.echo("aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        typer.echo("interrupted; every submitted answer is saved", err=True)
        sys.exit(130)
    except (typer.Exit, *_click_classes("Exit")) as e:
        sys.exit(e.exit_code)
    except _click_classes("ClickException") as e:
        sys.exit(_show_click_error(e))
    except Exception as e:  # noqa: BLE001 - last resort: one line, the traceback only on request
        if os.environ.get("INTERVIEWER_DEBUG"):
            raise
        typer.echo(f"error: internal error: {e.__class__.__name__}: {_one_line(e)} (set INTERVIEWER_DEBUG=1 for details)",
                   err=True)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
