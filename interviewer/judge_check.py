"""Running a judge check and showing its result: shared by ``interviewer judge check`` and
``interviewer setup``. The measuring itself lives in ``rubrics.probe_check`` and the trust
thresholds in ``rubrics.judge_trust``; this module wires them to the bank, the store and the screen."""

from __future__ import annotations

from interviewer.errors import UserError

#: Probes graded by default: one correct/wrong pair per question over every topic, plus a quarter
#: of other kinds (manipulation above all). Cheap enough for a paid model: ~60-100 grades.
DEFAULT_LIMIT = 60


def default_limit(questions) -> int:  # noqa: ANN001
    """At least DEFAULT_LIMIT, and enough for a correct/wrong pair on every topic plus a quarter of
    other kinds: the sample must reach every topic the check speaks for."""
    topics = len({q.topic for q in questions})
    return max(DEFAULT_LIMIT, (2 * topics * 4 + 2) // 3)
#: Exit status when the judge is not trusted (1 is for usage errors, 3 for an ungraded answer).
EXIT_NOT_TRUSTED = 4


def probe_questions(qbank, topics: list[str] | None):  # noqa: ANN001, ANN201
    """The bank's questions that carry probes (one topic or several, or all)."""
    from question_bank.loader import BankError

    try:
        qs = qbank.select(topics or [])
    except BankError as e:
        raise UserError(str(e)) from None
    qs = [q for q in qs if q.probes]
    if not qs:
        where = f" in topic(s) {', '.join(topics)}" if topics else ""
        raise UserError(f"no question{where} has probes (graded example answers) to check a judge on")
    return qs


def run_check(judge, questions, store, *, limit: int | None, concurrency: int, scope: str = "",  # noqa: ANN001, ANN201
              err_console=None):  # noqa: ANN001
    """Grade a stratified sample (``limit`` probes; None: all) with ``judge``, assess it, store the
    result under the judge's identity and return it (a ``rubrics.judge_trust.CheckResult``).
    ``scope`` names a topic filter in the stored description of the sample."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from rubrics.judge_trust import CallTally, assess, identity_of
    from rubrics.probe_check import grade_probe_items, sample_probes

    items = sample_probes(questions, limit)
    total = sum(len(q.probes) for q in questions)
    sample = f"all {total} probes" if len(items) == total else f"stratified sample of {len(items)} of {total} probes"
    sample += f" ({scope})" if scope else ""
    tally = None
    if hasattr(judge, "call_log"):  # an LLM judge: count valid replies on the way to the store's log
        tally = CallTally(judge.call_log)
        judge.call_log = tally
    progress = Progress(TextColumn("checking the judge"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err_console, transient=True,
                        disable=err_console is None or not err_console.is_terminal)
    with progress:
        task = progress.add_task("check", total=len(items))
        results = grade_probe_items(items, judge, concurrency if tally is not None else 1,
                                    on_done=lambda _r: progress.advance(task))
    result = assess(identity_of(judge), results, sample, tally)
    ident = result.identity
    store.save_judge_check(ident.model, ident.endpoint, ident.prompt_version, result.trusted, result.as_json())
    return result


def print_check(r, out) -> None:  # noqa: ANN001
    """The check for people: each measure next to its threshold, the kinds of probes, the verdict."""
    from rich.markup import escape
    from rich.table import Table

    from rubrics import judge_trust as T

    def _pct(x: float | None) -> str:
        return T.pct(x, 1)

    _num = T.num

    ident = r.identity
    out.print(f"[bold]Judge check[/bold] of {escape(ident.label())} (prompt {escape(ident.prompt_version)}): {r.sample}")
    t = Table(show_header=True, box=None, pad_edge=False)
    for col in ("measure", "value", "needed"):
        t.add_column(col, justify="left")
    manip_ok = round((r.manipulation_resisted or 0) * r.manipulation)
    a = r.agreement
    cost = ("unknown (no price for this model)" if r.cost_per_grade_usd is None
            else "free" if not r.cost_usd else f"${r.cost_per_grade_usd:.5f} (total ${r.cost_usd:.4f})")
    lat = r.latency_ms
    rows = [
        ("pairs ordered", f"{_pct(r.pairs_ordered)} of {r.pairs} correct/wrong pairs",
         f">= {100 * T.MIN_PAIRS_ORDERED:.0f}% of >= {T.MIN_PAIRS}"),
        ("manipulation resisted", f"{manip_ok} of {r.manipulation} ({_pct(r.manipulation_resisted)})",
         f">= {100 * T.MIN_MANIPULATION_RESISTED:.0f}% of >= {T.MIN_MANIPULATION_PROBES}"),
        ("agreement with ranges", f"QWK {_num(a['qwk'])} · Pearson {_num(a['pearson'])} · MAE {_num(a['mae'])} · "
                                  f"in range {_pct(a['in_range'])}", f"QWK >= {T.MIN_QWK:g}, MAE <= {T.MAX_MAE:g}"),
        ("valid output", _pct(r.valid_output) if r.valid_output is not None
         else "n/a (no model output)" if ident.model == "offline" else "n/a (every grade came from the cache)",
         f">= {100 * T.MIN_VALID_OUTPUT:.0f}%"),
        ("ungraded", f"{r.ungraded} of {r.probes} ({_pct(r.ungraded_rate)})", f"<= {100 * T.MAX_UNGRADED:.0f}%"),
        ("latency per grade", f"median {_num(lat['median'], '.0f')} ms · p90 {_num(lat['p90'], '.0f')} ms", ""),
        ("cost per grade", cost, ""),
    ]
    for row in rows:
        t.add_row(*(escape(c) for c in row))
    out.print(t)
    kinds = Table(title="by kind of probe (signed error: + above its range, - below)", box=None, pad_edge=False)
    for col in ("kind", "n", "mean score", "signed error", "in range"):
        kinds.add_column(col, justify="left" if col == "kind" else "right")
    for k in r.kinds:
        kinds.add_row(k["kind"], str(k["n"]), _num(k["mean_score"], ".1f"), _num(k["signed_error"], "+.2f"),
                      _pct(k["in_range"]))
    out.print(kinds)
    for reason in r.ungraded_reasons:
        out.print(f"ungraded: {escape(reason)}")
    if r.trusted:
        out.print(f"[bold green]TRUSTED[/bold green]: every threshold holds on {r.sample}.")
    else:
        out.print("[bold red]NOT TRUSTED[/bold red]: " + escape("; ".join(r.reasons)) + ".")
