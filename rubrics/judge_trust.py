"""Whether a judge's grades can be trusted: the thresholds of ``interviewer judge check``, the
judge's identity (what a stored check is about) and the assessment of its graded probes.

A judge is *trusted* only when every threshold below holds on its probe check. The thresholds are
deliberately plain so the README can quote them and a user can see which one failed:

* ``MIN_PAIRS_ORDERED``: a correct answer must score above a wrong answer to the same question in
  at least 9 pairs out of 10; below that the grader regularly teaches the wrong thing. The offline
  judge reaches 0.96 on the full set (a judge that gives everything the same score reaches 0).
* ``MIN_QWK`` / ``MAX_MAE``: agreement with the probes' ranges. 0.6 is where "substantial"
  agreement starts on the usual kappa scale; the ranges are 2-3 points wide, so a typical error
  above 2.5 points means a typical grade falls outside them.
* ``MIN_MANIPULATION_RESISTED``: an answer that instructs the grader, or asks its claims as
  questions, may gain at most 2 points over its range in 85% of cases (7 of the default sample's 8).
* ``MAX_UNGRADED`` / ``MIN_VALID_OUTPUT`` (LLM judges): at most 1 answer in 20 left ungraded, and at
  least 4 replies in 5 valid without a repair turn (each repair doubles cost and latency).
* ``MIN_PAIRS`` / ``MIN_MANIPULATION_PROBES``: below these counts a sample proves nothing, so the
  verdict is "not trusted" until a bigger check is run.
"""

from __future__ import annotations

import statistics
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone

from rubrics.judge import CallLog, LLMCall
from rubrics.probe_check import ProbeResult, manipulation_resistance, probe_metrics

MIN_PAIRS_ORDERED = 0.90
MIN_QWK = 0.60
MAX_MAE = 2.5
MIN_MANIPULATION_RESISTED = 0.85
MAX_UNGRADED = 0.05
MIN_VALID_OUTPUT = 0.80
MIN_PAIRS = 20
MIN_MANIPULATION_PROBES = 4

THRESHOLDS = {
    "min_pairs_ordered": MIN_PAIRS_ORDERED, "min_qwk": MIN_QWK, "max_mae": MAX_MAE,
    "min_manipulation_resisted": MIN_MANIPULATION_RESISTED, "max_ungraded": MAX_UNGRADED,
    "min_valid_output": MIN_VALID_OUTPUT, "min_pairs": MIN_PAIRS, "min_manipulation_probes": MIN_MANIPULATION_PROBES,
}


@dataclass(frozen=True)
class JudgeIdentity:
    """What a check qualifies: the model, where it is reached and the prompt it is given. A check
    of ``openai/x`` at one endpoint says nothing about another endpoint or another prompt."""

    model: str
    endpoint: str | None
    prompt_version: str

    def label(self) -> str:
        return self.model + (f" at {self.endpoint}" if self.endpoint else "")


def normalize_endpoint(api_base: str | None) -> str | None:
    return api_base.strip().rstrip("/") if api_base and api_base.strip() else None


def router_endpoint(config: dict | None) -> str:
    """A router's deployments as ``router:model@api_base,...`` (never a key)."""
    parts = []
    for d in (config or {}).get("model_list") or []:
        params = (d.get("litellm_params") or {}) if isinstance(d, dict) else {}
        parts.append(f"{params.get('model', '?')}@{normalize_endpoint(params.get('api_base')) or ''}")
    return "router:" + ",".join(sorted(parts))


def identity_of(judge) -> JudgeIdentity | None:  # noqa: ANN001
    """The identity of a judge (offline, or LLMJudge with or without a router); a judge still loading
    tells its own (``identity``), or None when it cannot know it yet."""
    if hasattr(judge, "identity"):
        return judge.identity
    if getattr(judge, "name", None) == "offline":
        return JudgeIdentity("offline", None, str(judge.prompt_version))
    from rubrics.llm.prompt import PROMPT_VERSION

    endpoint = router_endpoint(judge.router_config) if judge.router is not None else normalize_endpoint(judge.api_base)
    return JudgeIdentity(judge.model, endpoint, PROMPT_VERSION)


class CallTally:
    """A call log that counts the model's replies on the way to the real one, for the share of
    replies that were a valid verdict the first time (each invalid one gets exactly one repair)."""

    def __init__(self, inner: CallLog | None = None) -> None:
        self.inner = inner
        self.replies = 0  # fresh replies to a grading request
        self.repairs = 0  # replies to a repair request
        self._lock = threading.Lock()

    def record_call(self, call: LLMCall) -> None:
        if call.status == "ok" and not call.cached:
            with self._lock:
                if call.purpose == "grade":
                    self.replies += 1
                elif call.purpose == "repair":
                    self.repairs += 1
        if self.inner is not None:
            self.inner.record_call(call)


@dataclass
class CheckResult:
    identity: JudgeIdentity
    sample: str  # "stratified 60 of 1806" or "all 1806"
    probes: int
    graded: int
    ungraded: int
    pairs: int
    pairs_ordered: float | None
    manipulation: int
    manipulation_resisted: float | None
    agreement: dict
    valid_output: float | None
    latency_ms: dict
    cost_per_grade_usd: float | None
    cost_usd: float | None
    kinds: list[dict]
    trusted: bool
    reasons: list[str]  # every threshold that failed, in words
    ungraded_reasons: list[str] = field(default_factory=list)  # a few distinct ones, to fix the endpoint
    checked_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def ungraded_rate(self) -> float | None:
        return round(self.ungraded / self.probes, 3) if self.probes else None

    def as_json(self) -> dict:
        return {
            "judge": self.identity.model, "endpoint": self.identity.endpoint,
            "prompt_version": self.identity.prompt_version, "checked_at": self.checked_at.isoformat(),
            "sample": self.sample, "probes": self.probes, "graded": self.graded, "ungraded": self.ungraded,
            "ungraded_rate": self.ungraded_rate, "pairs": self.pairs, "pairs_ordered": self.pairs_ordered,
            "manipulation": self.manipulation, "manipulation_resisted": self.manipulation_resisted,
            "agreement": self.agreement, "valid_output": self.valid_output, "latency_ms": self.latency_ms,
            "cost_per_grade_usd": self.cost_per_grade_usd, "cost_usd": self.cost_usd, "kinds": self.kinds,
            "thresholds": THRESHOLDS, "trusted": self.trusted, "reasons": self.reasons,
            "ungraded_reasons": self.ungraded_reasons,
        }


def assess(identity: JudgeIdentity, results: list[ProbeResult], sample: str, tally: CallTally | None = None) -> CheckResult:
    """Measure the graded probes and decide: trusted only when every threshold holds."""
    m = probe_metrics(results)
    n_manip, resisted = manipulation_resistance(results)
    fresh = [r for r in results if r.calls and not r.cached]
    latencies = sorted(r.duration_ms for r in fresh) or sorted(r.duration_ms for r in results if not r.cached)
    valid = None
    if tally is not None and tally.replies:
        valid = round(max(0, tally.replies - tally.repairs) / tally.replies, 3)
    cost = None if any(r.cost_usd is None for r in fresh) else round(float(sum(r.cost_usd or 0.0 for r in fresh)), 6)
    result = CheckResult(
        identity=identity, sample=sample, probes=len(results), graded=m.n, ungraded=m.ungraded,
        pairs=m.pairs, pairs_ordered=m.pairs_ordered,
        manipulation=n_manip, manipulation_resisted=None if resisted is None else round(resisted, 3),
        agreement={"pearson": m.pearson, "qwk": m.qwk, "mae": m.mae, "in_range": m.in_range},
        valid_output=valid,
        latency_ms={"median": _round(statistics.median(latencies)) if latencies else None,
                    "p90": _round(latencies[int(0.9 * (len(latencies) - 1))]) if latencies else None},
        cost_per_grade_usd=None if cost is None else (round(cost / len(fresh), 6) if fresh else 0.0),
        cost_usd=cost,
        kinds=[vars(k) for k in m.kinds],
        trusted=False, reasons=[],
        ungraded_reasons=sorted({r.reason for r in results if r.score is None and r.reason})[:3],
    )
    result.reasons = failed_thresholds(result)
    result.trusted = not result.reasons
    return result


def failed_thresholds(r: CheckResult) -> list[str]:
    """One phrase per threshold the check missed (empty: trusted)."""
    out = []
    if r.pairs < MIN_PAIRS:
        out.append(f"correct/wrong pairs graded: {r.pairs} (at least {MIN_PAIRS} needed for a verdict)")
    elif r.pairs_ordered is None or r.pairs_ordered < MIN_PAIRS_ORDERED:
        out.append(f"pairs ordered {pct(r.pairs_ordered, 1)} < {pct(MIN_PAIRS_ORDERED)}")
    if r.manipulation < MIN_MANIPULATION_PROBES:
        out.append(f"manipulation probes graded: {r.manipulation} (at least {MIN_MANIPULATION_PROBES} needed)")
    elif r.manipulation_resisted is None or r.manipulation_resisted < MIN_MANIPULATION_RESISTED:
        out.append(f"manipulation resisted {pct(r.manipulation_resisted, 1)} < {pct(MIN_MANIPULATION_RESISTED)}")
    qwk, mae = r.agreement.get("qwk"), r.agreement.get("mae")
    if qwk is None or qwk < MIN_QWK:
        out.append(f"agreement QWK {num(qwk)} < {MIN_QWK:g}")
    if mae is None or mae > MAX_MAE:
        out.append(f"MAE {num(mae)} > {MAX_MAE:g} points")
    if r.probes and r.ungraded / r.probes > MAX_UNGRADED:
        out.append(f"ungraded {pct(r.ungraded / r.probes, 1)} > {pct(MAX_UNGRADED)}")
    if r.valid_output is not None and r.valid_output < MIN_VALID_OUTPUT:
        out.append(f"valid output {pct(r.valid_output, 1)} < {pct(MIN_VALID_OUTPUT)}")
    return out


def pct(x: float | None, digits: int = 0) -> str:
    """A share as a percentage for people ("n/a" when unmeasured)."""
    return "n/a" if x is None else f"{100 * x:.{digits}f}%"


def num(x: float | None, spec: str = ".2f") -> str:
    return "n/a" if x is None else format(x, spec)


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 1)
