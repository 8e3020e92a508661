"""Command-line options shared by several commands, declared once so they read the same everywhere."""

from pathlib import Path
from typing import Annotated, Optional

import typer

DataDirOpt = Annotated[
    Optional[Path],
    typer.Option("--data-dir", help="Where history, reports, exports, the judge cache, the call log and the "
                 "parsed-bank cache live (default: the user data dir; env INTERVIEWER_DATA_DIR)."),
]
BankOpt = Annotated[
    Optional[list[Path]],
    typer.Option("--bank", metavar="PATH", help="Extra bank YAML file or folder (repeatable; env INTERVIEWER_BANK)."),
]
JudgeOpt = Annotated[
    Optional[str],
    typer.Option("--judge", help="'offline' (default) or a litellm model string, e.g. openai/gpt-4o-mini "
                 "(env INTERVIEWER_JUDGE_MODEL)."),
]
ApiBaseOpt = Annotated[Optional[str], typer.Option("--api-base", help="OpenAI-compatible base URL for the judge model.")]
ApiKeyEnvOpt = Annotated[Optional[str], typer.Option("--api-key-env", help="Name of the env var holding the judge's API key.")]
RouterOpt = Annotated[Optional[Path], typer.Option("--router-config", help="YAML/JSON litellm Router config (several deployments).")]
SamplesOpt = Annotated[
    Optional[int], typer.Option("--samples", min=1, max=9, help="Grade N times and take the per-point median (default 1).")
]
SessionSamplesOpt = Annotated[
    Optional[int], typer.Option("--samples", min=1, max=9, help="Samples per grade; default: the session's.")
]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Bypass the judge cache.")]
TimeoutOpt = Annotated[Optional[float], typer.Option("--timeout", min=1.0, help="Seconds per request to the judge model.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]

TopicOpt = Annotated[Optional[list[str]], typer.Option("--topic", "-t", metavar="TOPIC", help="Topic id (repeatable); default: all topics.")]
CountOpt = Annotated[int, typer.Option("--count", "-n", help="Number of questions.")]
MinutesOpt = Annotated[
    Optional[float],
    typer.Option("--minutes", "-m", help="Interview length; default: 3/5/8 min per easy/medium/hard question."),
]
SeedOpt = Annotated[Optional[int], typer.Option("--seed", help="Draw the same questions again.")]
LangOpt = Annotated[str, typer.Option("--lang", help="en or zh: the language questions are asked in.")]
AnswersOpt = Annotated[
    Optional[Path],
    typer.Option("--answers", help="Non-interactive: a JSONL file, one {\"answer\": ...} per line."),
]
FollowUpsOpt = Annotated[
    Optional[int],
    typer.Option("--follow-ups", min=0, max=4, metavar="N",
                 help="Follow-up questions after each main answer, chosen from what it showed (0: none; default 1, "
                      "or [interview] follow_ups in config.toml)."),
]
SessionFollowUpsOpt = Annotated[
    Optional[int],
    typer.Option("--follow-ups", min=0, max=4, metavar="N", help="Follow-ups after each answer still to come; default: the session's own."),
]
