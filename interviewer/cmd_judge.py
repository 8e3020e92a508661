"""``interviewer judge check``: qualify a judge on the bank's probes before trusting its grades.

Registered by ``interviewer.cli`` through ``register(app)``; everything heavy is imported inside
the command so ``interviewer --help`` never imports litellm.
"""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer

from interviewer.errors import UserError
from interviewer.options import (
    ApiBaseOpt, ApiKeyEnvOpt, BankOpt, DataDirOpt, JsonOpt, JudgeOpt, NoCacheOpt, RouterOpt, TimeoutOpt, TopicOpt,
)

judge_app = typer.Typer(help="Qualify a judge before trusting its grades.", no_args_is_help=True)


@judge_app.command("check")
def check(
    judge: JudgeOpt = None,
    router_config: RouterOpt = None,
    api_base: ApiBaseOpt = None,
    api_key_env: ApiKeyEnvOpt = None,
    topic: TopicOpt = None,
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="Probes in the stratified sample (default 60, more when there are more than 22 topics: a pair on each).")] = None,
    all_probes: Annotated[bool, typer.Option("--all", help="Grade every probe of the bank instead of a sample.")] = False,
    concurrency: Annotated[Optional[int], typer.Option("--concurrency", "-c", min=1, max=256, help="Requests in flight for LLM judges (default: the config's, else 8).")] = None,
    no_cache: NoCacheOpt = False,
    timeout: TimeoutOpt = None,
    as_json: JsonOpt = False,
    bank: BankOpt = None,
    data_dir_opt: DataDirOpt = None,
) -> None:
    """Grade the bank's probes (example answers with known score ranges) with a judge and say
    whether it can be trusted: pair accuracy, agreement, manipulation resistance, valid output,
    latency and cost. Exits 4 when it is not trusted."""
    from interviewer.judge_check import EXIT_NOT_TRUSTED, default_limit, print_check, probe_questions, run_check
    from interviewer.run import build_judge, console, judge_options, load_bank_or_fail, open_store

    if all_probes and limit is not None:
        raise UserError("use --all or --limit N, not both")
    questions = probe_questions(load_bank_or_fail(bank), topic)
    store = open_store(data_dir_opt)
    in_flight = concurrency or judge_options(judge, router_config=router_config)["concurrency"] or 8
    j = build_judge(judge, api_base=api_base, api_key_env=api_key_env, router_config=router_config,
                    no_cache=no_cache, store=store, timeout=timeout, concurrency=in_flight)
    result = run_check(j, questions, store, limit=None if all_probes else (limit or default_limit(questions)),
                       concurrency=in_flight, scope=f"topic {', '.join(topic)}" if topic else "",
                       err_console=console(stderr=True))
    if as_json:
        typer.echo(json.dumps(result.as_json(), ensure_ascii=False))
    else:
        print_check(result, console(soft_wrap=True))
    if not result.trusted:
        raise typer.Exit(EXIT_NOT_TRUSTED)


def register(app: typer.Typer) -> None:
    app.add_typer(judge_app, name="judge")
