"""``interviewer setup``: find a judge on this machine, check it, and write it to ``config.toml``.

Registered by ``interviewer.cli`` through ``register(app)``. Detection is in
``interviewer.detect``, the check in ``interviewer.judge_check``; this module is the conversation.
"""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from interviewer.errors import UserError
from interviewer.options import DataDirOpt

OFFLINE_LIMITS = (
    "The offline judge needs no network and no key: it matches each key point's terms, phrases and synonyms.",
    "It can miss a correct answer worded in unusual terms and credit a wrong claim made with the right ones.",
)


def setup(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="No questions: check the first judge found and write it only if it is trusted.")] = False,
    choose: Annotated[Optional[int], typer.Option("--choose", min=0, help="No questions: check judge number N of the list (0: offline).")] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="Probes graded by the check (default 60, more when there are more than 22 topics: a pair on each).")] = None,
    server: Annotated[Optional[list[str]], typer.Option("--server", metavar="URL", help="OpenAI-compatible base URL to look at instead of 127.0.0.1 ports 8000, 8080, 1234 and 5000 (repeatable).")] = None,
    ollama: Annotated[str, typer.Option("--ollama", metavar="URL", help="Where to look for Ollama.")] = "http://127.0.0.1:11434",
    data_dir_opt: DataDirOpt = None,
) -> None:
    """Find the judges this machine can use (API keys in the environment, by name only; Ollama;
    local OpenAI-compatible servers), check the one you choose, and write it to config.toml."""
    from interviewer.config import config_path, load_config, save_judge_config
    from interviewer.detect import Candidate, detect
    from interviewer.judge_check import EXIT_NOT_TRUSTED
    from interviewer.run import console

    out = console(soft_wrap=True)
    interactive = not yes and choose is None
    if interactive and not sys.stdin.isatty():
        raise UserError("no terminal to answer in; pass --yes (first judge found) or --choose N")
    current = load_config().judge.model
    out.print(f"Config: {config_path()}" + (f" (judge now: {current})" if current else " (no judge set)"), markup=False)
    out.print("Looking for API keys in the environment, Ollama and OpenAI-compatible servers on this machine…")
    found = detect(server, ollama)
    if not found:
        out.print("Found none.", markup=False)
        for line in OFFLINE_LIMITS:
            out.print(line, markup=False)
        if current is None:
            out.print(f"Wrote {save_judge_config('offline')}: the offline judge grades.", markup=False)
        return
    offline = Candidate("offline", None, None, "no model: key terms and phrases")
    choices = [offline, *found]
    for i, c in enumerate(choices):
        if i:
            out.print(f"  {i}. {c.model}  ({c.source})", markup=False)
    out.print(f"  0. offline  ({offline.source})", markup=False)
    if choose is not None and choose >= len(choices):
        raise UserError(f"--choose {choose}: there are only {len(found)} judges found (0 is offline)")
    pick = choose if choose is not None else 1 if yes else typer.prompt("Check which judge?", default=1, type=int)
    if not 0 <= pick < len(choices):
        raise UserError(f"{pick} is not in the list (0-{len(found)})")
    chosen = choices[pick]
    result = _check(chosen, limit, data_dir_opt, out)
    if result.trusted or (interactive and typer.confirm(f"{chosen.model} is not trusted. Use it anyway?", default=False)):
        path = save_judge_config(chosen.model, chosen.api_base, chosen.api_key_env)
        out.print(f"Wrote {path}: judge {chosen.model}" + (f" at {chosen.api_base}" if chosen.api_base else "")
                  + (f", key from ${chosen.api_key_env}" if chosen.api_key_env else ""), markup=False)
        return
    out.print(f"Left {config_path()} as it was.", markup=False)
    if not interactive:
        raise typer.Exit(EXIT_NOT_TRUSTED)


def _check(c, limit: int | None, data_dir_opt, out):  # noqa: ANN001, ANN202
    from interviewer.judge_check import default_limit, print_check, probe_questions, run_check
    from interviewer.judge_factory import make_judge
    from interviewer.run import console, load_bank_or_fail, open_store

    store = open_store(data_dir_opt)
    concurrency = 8
    j = make_judge(c.model, api_base=c.api_base, api_key_env=c.api_key_env, store=store, concurrency=concurrency)
    questions = probe_questions(load_bank_or_fail(), None)
    n = limit or default_limit(questions)
    out.print(f"Checking {c.model} on {n} probes" + ("" if c.model == "offline" else f" ({n}+ requests)") + "…",
              markup=False)
    result = run_check(j, questions, store, limit=n, concurrency=concurrency,
                       err_console=console(stderr=True))
    print_check(result, out)
    return result


def register(app: typer.Typer) -> None:
    app.command("setup")(setup)
