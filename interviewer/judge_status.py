"""What the interviewer says about the judge in use: a one-line warning at ``start`` and ``drill``
when it was never checked or failed its check, the report's check note, and the once-per-data-dir
hint about ``interviewer setup``. Checks are looked up by the judge's identity (model, endpoint,
prompt version): a check of one endpoint or prompt says nothing about another."""

from __future__ import annotations

import os
from pathlib import Path

#: Created in the data dir once the setup hint was shown, so it is shown once.
HINT_MARKER = ".setup-hint-shown"


def _day(iso: str) -> str:
    return iso[:10]


def check_warning(store, judge) -> str | None:  # noqa: ANN001
    """One line when ``judge`` was never checked or failed its latest check; None when trusted."""
    from rubrics.judge_trust import identity_of

    ident = identity_of(judge)
    if ident is None:
        return None  # a router still loading: its deployments are known later
    check = store.latest_judge_check(ident.model, ident.endpoint, ident.prompt_version)
    if check is not None and check["trusted"]:
        return None
    offline = ident.model == "offline"
    if check is not None:
        who = "the offline judge" if offline else f"judge {ident.label()}"
        why = "; ".join(check.get("reasons") or [])[:160]
        return (f"warning: {who} failed its check on {_day(check['checked_at'])} ({why}): its grades may be wrong; "
                "`interviewer judge check` re-runs it")
    if offline:
        return ("note: the offline judge checks answers' claims against the rubric by text (it can miss a wrong claim "
                "worded unlike the rubric) and has not been checked here: `interviewer judge check` measures it")
    return (f"warning: judge {ident.label()} was never checked: it may grade at random or obey an answer that asks "
            "for 10/10; `interviewer judge check` with the same judge options measures it")


def announce_judge(store, judge, hint_unless: tuple | None = None) -> None:  # noqa: ANN001
    """Before an interview, on stderr: the setup hint (when ``hint_unless``, the command line's
    judge and router options, name no judge) and the check warning, one line each."""
    import typer

    lines = [setup_hint(store.path.parent, *hint_unless) if hint_unless is not None else None,
             check_warning(store, judge)]
    for line in filter(None, lines):
        typer.echo(line, err=True)


def setup_hint(data_dir: Path, judge: str | None, router_config: Path | None) -> str | None:
    """The hint about ``interviewer setup`` when no judge is configured anywhere, once per data dir."""
    from interviewer.config import load_config
    from interviewer.judge_factory import JUDGE_ENV

    if judge or router_config or os.environ.get(JUDGE_ENV) or load_config().judge.model:
        return None
    marker = data_dir / HINT_MARKER
    if marker.exists():
        return None
    try:
        marker.touch()
    except OSError:
        pass
    return ("hint: no judge is configured, so the offline judge grades; `interviewer setup` looks for a local model "
            "or an API key to grade with instead")


def session_identity(session, answers):  # noqa: ANN001, ANN201
    """The identity of the judge that graded ``session`` (from its verdicts, else its settings)."""
    from rubrics.judge_trust import JudgeIdentity, normalize_endpoint, router_endpoint

    s = session.settings
    graded = [a.verdict for a in answers if a.verdict is not None and a.verdict.status == "graded"]
    v = graded[-1] if graded else None
    llm = v.judge != "offline" if v is not None else bool(s.router_config) or s.judge != "offline"
    if not llm:
        from rubrics.offline.judge import PROMPT_VERSION as OFFLINE_VERSION

        return JudgeIdentity("offline", None, (v.prompt_version if v else None) or OFFLINE_VERSION)
    from rubrics.llm.prompt import PROMPT_VERSION

    model = v.model if v is not None else (None if s.router_config else s.judge)
    if not model:
        return None
    endpoint = normalize_endpoint(s.api_base)
    if s.router_config:
        from interviewer.errors import UserError
        from interviewer.judge_factory import _read_router_config as read_router_config

        try:
            endpoint = router_endpoint(read_router_config(Path(s.router_config)))
        except UserError:
            return None
    return JudgeIdentity(model, endpoint, (v.prompt_version if v else None) or PROMPT_VERSION)


def report_check_note(store, session):  # noqa: ANN001, ANN201
    """The report's "checked on DATE: 94% of pairs ordered", or None for "not checked"."""
    from reports.report import JudgeCheckNote

    ident = session_identity(session, store.answers(session.id))
    check = ident and store.latest_judge_check(ident.model, ident.endpoint, ident.prompt_version)
    if not check:
        return None
    return JudgeCheckNote(checked_at=check["checked_at"], pairs_ordered=check.get("pairs_ordered"),
                          trusted=check["trusted"])
