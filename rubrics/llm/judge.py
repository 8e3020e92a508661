"""The LLM judge: any litellm model (or a litellm Router) grading against the rubric.

Trust model: the model only *proposes* per-key-point credits with quoted evidence. Code decides
the score: a credit counts only if its quote is really in the answer (and not in text the
manipulation detector stripped), misconception penalties come from the rubric, and every credit is
cross-checked against what the offline judge sees in the same answer (``rubrics.llm.crosscheck``:
no content, off topic, manipulation or a bare list of terms, an asserted misconception, one quote
reused for unrelated points), capped where the answer cannot hold it and flagged as a judge
disagreement. So a model that is fooled, or a provider that answers nonsense, cannot inflate a score.

Failure model: every provider error is retried with backoff when it is transient (429, 5xx,
timeouts, broken connections); an unusable reply gets one repair turn; anything still wrong
yields an *ungraded* verdict with the reason, which ``interviewer regrade`` can retry later.

The same request flow drives a thread-safe ``grade`` (the interviewer's background pool) and an
``agrade`` coroutine (calibration and benchmarks), written once as a generator of requests.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import re
import statistics
import threading
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from question_bank.models import Question, Rubric
from rubrics.judge import CallLog, LLMCall, VerdictCache
from rubrics.limits import MAX_REPLY_CHARS
from rubrics.llm.errors import describe_error
from rubrics.secrets import redact, redact_verdict, register_secret
from rubrics.llm.output import JudgeOutput, OutputError, output_schema, parse_judgement
from rubrics.llm.prompt import PROMPT_VERSION, build_messages, neutralize, repair_message, template_fingerprint
from rubrics.text import contains_normalized, normalize
from rubrics.verdict import (
    CREDIT_VALUE,
    Credit,
    Flag,
    KeyPointVerdict,
    MisconceptionHit,
    Usage,
    Verdict,
    compute_score,
)

#: Bumped when the code-side rules that turn a model's judgement into a score change.
DEFENCE_VERSION = 2
#: Holistic vs computed score gap (0-10 scale) that is reported as a disagreement.
DISAGREEMENT_GAP = 3.0
#: Score spread across samples that is reported.
SPREAD_GAP = 2.0
_RETRY_STATUS = {408, 409, 425, 429}
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…)+\s*")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[a-z0-9_]+(?:[.'()/-][a-z0-9_]+)*")


class MemoryCache:
    """In-process VerdictCache for runs without a store (calibration, benchmarks, tests)."""

    def __init__(self) -> None:
        self._d: dict[str, Verdict] = {}
        self._lock = threading.Lock()

    def cache_get(self, key: str) -> Verdict | None:
        with self._lock:
            v = self._d.get(key)
        return v.model_copy(deep=True) if v else None

    def cache_put(self, key: str, verdict: Verdict) -> None:
        with self._lock:
            self._d[key] = verdict.model_copy(deep=True)


# --- the request flow, shared by the sync and async drivers -------------------------------------


@dataclass
class _Request:
    messages: list[dict]
    purpose: str
    max_tokens: int
    seed: int | None


@dataclass
class _Reply:
    text: str | None = None
    finish_reason: str | None = None
    error: str | None = None  # set when the provider failed for good


@dataclass
class _Tally:
    """Usage summed over every HTTP request made for one verdict."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    cost_known: bool = True
    calls: int = 0

    def add(self, prompt: int, completion: int, cost: float | None) -> None:
        self.prompt_tokens += prompt
        self.completion_tokens += completion
        self.calls += 1
        if cost is None:
            self.cost_known = False
        else:
            self.cost += cost


@dataclass
class _Sample:
    output: JudgeOutput | None = None
    error: str | None = None


@dataclass
class _Context:
    question: Question
    rubric: Rubric
    answer: str
    tally: _Tally = field(default_factory=_Tally)
    started: float = field(default_factory=time.perf_counter)


class ProviderError(Exception):
    pass


class LLMJudge:
    """Grades through litellm. Thread-safe: ``grade`` may be called from many threads at once (and
    ``agrade`` from one event loop at a time); the offline cross-check runs in the calling thread."""

    name = "llm"

    def __init__(
        self,
        model: str,
        *,
        api_base: str | None = None,
        api_key: str | None = None,
        router: Any = None,
        samples: int = 1,
        temperature: float = 0.0,
        seed: int | None = 1234,
        max_tokens: int = 1500,
        timeout: float = 60.0,
        retries: int = 3,
        backoff: float = 1.0,
        backoff_max: float = 30.0,
        concurrency: int = 8,
        cache: VerdictCache | None = None,
        call_log: CallLog | None = None,
        json_schema: bool | None = None,
        extra_params: dict | None = None,
        router_config: dict | None = None,
    ) -> None:
        if samples < 1:
            raise ValueError("samples must be >= 1")
        self.model = model
        self.api_base = api_base
        self.api_key = api_key
        self.router = router
        self.samples = samples
        self.temperature = temperature
        self.seed = seed
        self.max_tokens = max_tokens
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.concurrency = max(1, concurrency)
        self.cache = cache
        self.call_log = call_log
        self.extra_params = dict(extra_params or {})
        self.router_config = router_config  # lets a worker process build the same router
        register_secret(api_key)  # redacted wherever a provider echoes it back
        for deployment in (router_config or {}).get("model_list") or []:
            key = ((deployment or {}).get("litellm_params") or {}).get("api_key")
            if isinstance(key, str) and not key.startswith("os.environ/"):
                register_secret(key)
        self._json_schema = json_schema  # None: ask litellm on first use
        from rubrics.offline import OfflineJudge

        self._offline = OfflineJudge()  # the cross-check of every verdict (thread-safe)
        self._sem = threading.BoundedSemaphore(self.concurrency)
        self._asems: dict[int, asyncio.Semaphore] = {}
        self._lock = threading.Lock()

    # --- public API -------------------------------------------------------------------------
    def grade(self, question: Question, answer: str) -> Verdict:
        ctx = self._context(question, answer)
        cached = self._from_cache(ctx)
        if cached is not None:
            return cached
        samples = [self._drive_sync(ctx, self._sample_flow(ctx, i)) for i in range(self.samples)]
        return self._finish(ctx, samples)

    async def agrade(self, question: Question, answer: str) -> Verdict:
        """Async twin of ``grade`` (no thread per request: what calibration at volume wants)."""
        ctx = self._context(question, answer)
        cached = self._from_cache(ctx)
        if cached is not None:
            return cached
        samples = await asyncio.gather(*(self._drive_async(ctx, self._sample_flow(ctx, i)) for i in range(self.samples)))
        return self._finish(ctx, list(samples))

    def cache_key(self, question: Question, answer: str, rubric: Rubric | None = None) -> str:
        """Everything that can change the verdict: model and endpoint, prompt, rubric, question,
        answer, sampling parameters and our own scoring rules."""
        rubric = rubric or _effective_rubric(question)
        parts = {
            "model": self.model,
            "endpoint": self.api_base or ("router" if self.router is not None else None),
            "prompt": PROMPT_VERSION,
            "template": template_fingerprint(PROMPT_VERSION),
            "defence": DEFENCE_VERSION,
            "rubric": _sha(rubric.model_dump_json()),
            "question": _sha(question.text.model_dump_json() + question.reference_answer.model_dump_json()),
            "answer": _sha(answer),
            "params": {
                "temperature": self.temperature,
                "seed": self.seed,
                "max_tokens": self.max_tokens,
                "samples": self.samples,
                **{k: self.extra_params[k] for k in sorted(self.extra_params)},
            },
        }
        return "llm:" + _sha(json.dumps(parts, sort_keys=True, default=str))

    # --- batch grading in worker processes (rubrics.parallel) --------------------------------
    def worker_recipe(self, concurrency: int) -> dict:
        """Picklable arguments that rebuild this judge in another process, minus the cache and call
        log: those stay with the parent, which owns the store."""
        if self.router is not None and self.router_config is None:
            raise ValueError("a router judge needs its router_config to grade in worker processes")
        return {
            "model": self.model, "api_base": self.api_base, "api_key": self.api_key, "samples": self.samples,
            "temperature": self.temperature, "seed": self.seed, "max_tokens": self.max_tokens,
            "timeout": self.timeout, "retries": self.retries, "backoff": self.backoff,
            "backoff_max": self.backoff_max, "concurrency": max(1, concurrency), "json_schema": self._json_schema,
            "extra_params": dict(self.extra_params), "router_config": self.router_config,
        }

    @classmethod
    def from_recipe(cls, recipe: dict, *, cache: VerdictCache | None = None, call_log: CallLog | None = None) -> LLMJudge:
        recipe = dict(recipe)
        model = recipe.pop("model")
        router = None
        if recipe.get("router_config") is not None:
            from rubrics.llm.client import load_router

            router = load_router(recipe["router_config"])
        return cls(model, router=router, cache=cache, call_log=call_log, **recipe)

    def cached_verdict(self, question: Question, answer: str) -> Verdict | None:
        """A graded verdict from the cache (logged as a cached call), or None."""
        return self._from_cache(self._context(question, answer))

    # --- one sample: request, parse, maybe repair ------------------------------------------
    def _context(self, question: Question, answer: str) -> _Context:
        return _Context(question=question, rubric=_effective_rubric(question), answer=answer)

    def _sample_flow(self, ctx: _Context, index: int) -> Generator[_Request, _Reply, _Sample]:
        ids = [kp.id for kp in ctx.rubric.key_points]
        mids = [m.id for m in ctx.rubric.misconceptions]
        seed = None if self.seed is None else self.seed + index
        messages = build_messages(ctx.question, ctx.rubric, ctx.answer)
        reply = yield _Request(messages, "grade", self.max_tokens, seed)
        if reply.error:
            return _Sample(error=reply.error)
        try:
            return _Sample(output=parse_judgement(reply.text, ids, mids, finish_reason=reply.finish_reason))
        except OutputError as first:
            problem = first
        repair = [
            *messages,
            {"role": "assistant", "content": (reply.text or "(empty reply)")[:6000]},
            repair_message(str(problem), ids, problem.truncated),
        ]
        budget = self.max_tokens * 2 if problem.truncated else self.max_tokens
        reply = yield _Request(repair, "repair", budget, seed)
        if reply.error:
            return _Sample(error=f"invalid judge output ({problem}); the repair request failed: {reply.error}")
        try:
            return _Sample(output=parse_judgement(reply.text, ids, mids, finish_reason=reply.finish_reason))
        except OutputError as second:
            kind = "refused" if second.refusal else "gave invalid output"
            return _Sample(error=f"judge {kind} twice (after one repair): {second}")

    # --- drivers -----------------------------------------------------------------------------
    def _drive_sync(self, ctx: _Context, flow: Generator[_Request, _Reply, _Sample]) -> _Sample:
        try:
            req = next(flow)
            while True:
                req = flow.send(self._call_sync(req, ctx))
        except StopIteration as stop:
            return stop.value

    async def _drive_async(self, ctx: _Context, flow: Generator[_Request, _Reply, _Sample]) -> _Sample:
        try:
            req = next(flow)
            while True:
                req = flow.send(await self._call_async(req, ctx))
        except StopIteration as stop:
            return stop.value

    def _call_sync(self, req: _Request, ctx: _Context) -> _Reply:
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                with self._sem:
                    resp = self._completion(req)
            except Exception as e:  # noqa: BLE001 - classified below; nothing escapes as a crash
                delay = self._after_failure(e, req, ctx, attempt, started)
                if delay is None:
                    return _Reply(error=_describe(e, attempt + 1))
                time.sleep(delay)
                attempt += 1
                continue
            return self._after_success(resp, req, ctx, started)

    async def _call_async(self, req: _Request, ctx: _Context) -> _Reply:
        sem = self._async_semaphore()
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                async with sem:
                    resp = await self._acompletion(req)
            except Exception as e:  # noqa: BLE001
                delay = self._after_failure(e, req, ctx, attempt, started)
                if delay is None:
                    return _Reply(error=_describe(e, attempt + 1))
                await asyncio.sleep(delay)
                attempt += 1
                continue
            return self._after_success(resp, req, ctx, started)

    def _async_semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        with self._lock:
            sem = self._asems.get(id(loop))
            if sem is None:
                self._asems = {id(loop): asyncio.Semaphore(self.concurrency)}  # one loop at a time
                sem = self._asems[id(loop)]
        return sem

    # --- talking to litellm -------------------------------------------------------------------
    def _params(self, req: _Request) -> dict:
        params: dict[str, Any] = {
            "messages": req.messages,
            "temperature": self.temperature,
            "max_tokens": req.max_tokens,
            "timeout": self.timeout,
            "drop_params": True,  # seed / response_format are dropped where a provider lacks them
            "max_retries": 0,
            **self.extra_params,
        }
        if req.seed is not None:
            params["seed"] = req.seed
        if self._use_schema():
            params["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "grading_verdict", "schema": output_schema(), "strict": True},
            }
        if self.router is None:
            params["model"] = self.model
            if self.api_base:
                params["api_base"] = self.api_base
            if self.api_key:
                params["api_key"] = self.api_key
        else:
            params["model"] = self.model
        return params

    def _use_schema(self) -> bool:
        if self._json_schema is None:
            from rubrics.llm.client import supports_json_schema

            self._json_schema = self.router is None and supports_json_schema(self.model)
        return bool(self._json_schema)

    def _completion(self, req: _Request) -> Any:
        from rubrics.llm.client import get_litellm

        if self.router is not None:
            return self.router.completion(**self._params(req))
        return get_litellm().completion(**self._params(req))

    async def _acompletion(self, req: _Request) -> Any:
        from rubrics.llm.client import get_litellm

        if self.router is not None:
            return await self.router.acompletion(**self._params(req))
        return await get_litellm().acompletion(**self._params(req))

    def _after_success(self, resp: Any, req: _Request, ctx: _Context, started: float) -> _Reply:
        from rubrics.llm.client import response_cost

        ms = (time.perf_counter() - started) * 1000
        usage = getattr(resp, "usage", None)
        pt = int(getattr(usage, "prompt_tokens", 0) or 0)
        ct = int(getattr(usage, "completion_tokens", 0) or 0)
        cost = response_cost(resp, self.model)
        ctx.tally.add(pt, ct, cost)
        text, finish = None, None
        try:
            choice = resp.choices[0]
            finish = getattr(choice, "finish_reason", None)
            msg = choice.message
            text = msg.content
            refusal = getattr(msg, "refusal", None)
            if not text and refusal:
                text = str(refusal)
        except (AttributeError, IndexError, TypeError):
            text = None
        if isinstance(text, str) and len(text) > MAX_REPLY_CHARS:  # read no further than a verdict can need
            text, finish = text[:MAX_REPLY_CHARS], "length"
        self._log(LLMCall(model=self.model, question_id=ctx.question.id, purpose=req.purpose, status="ok",
                          prompt_tokens=pt, completion_tokens=ct, cost_usd=cost, duration_ms=ms))
        return _Reply(text=text, finish_reason=finish)

    def _after_failure(self, e: Exception, req: _Request, ctx: _Context, attempt: int, started: float) -> float | None:
        """Log the failed request; the delay before retrying it, or None to give up."""
        ms = (time.perf_counter() - started) * 1000
        ctx.tally.calls += 1
        self._log(LLMCall(model=self.model, question_id=ctx.question.id, purpose=req.purpose, status="error",
                          error=_describe(e, attempt + 1)[:500], duration_ms=ms))
        if self._json_schema and _rejects_schema(e):
            self._json_schema = False  # this endpoint does not take response_format: plain JSON from now on
            return 0.0
        if not _retryable(e) or attempt >= self.retries:
            return None
        delay = min(self.backoff_max, self.backoff * (2**attempt)) * (0.5 + random.random() / 2)
        hint = _retry_after(e)
        if hint is not None:
            delay = min(self.backoff_max, max(delay, hint))
        return delay

    def _log(self, call: LLMCall) -> None:
        if self.call_log is None:
            return
        try:
            self.call_log.record_call(call)
        except Exception:  # noqa: BLE001, S110 - losing a log row must not lose the verdict
            pass

    # --- cache ----------------------------------------------------------------------------
    def _from_cache(self, ctx: _Context) -> Verdict | None:
        if self.cache is None:
            return None
        key = self.cache_key(ctx.question, ctx.answer, ctx.rubric)
        try:
            hit = self.cache.cache_get(key)
        except Exception:  # noqa: BLE001 - a broken cache only costs money
            return None
        if hit is None or hit.status != "graded":
            return None
        hit.usage = Usage(cached=True, cost_usd=0.0, duration_ms=(time.perf_counter() - ctx.started) * 1000)
        self._log(LLMCall(model=self.model, question_id=ctx.question.id, purpose="grade", status="ok",
                          cost_usd=0.0, cached=True, duration_ms=hit.usage.duration_ms))
        return hit

    # --- from samples to a verdict -------------------------------------------------------------
    def _finish(self, ctx: _Context, samples: list[_Sample]) -> Verdict:
        usage = Usage(
            prompt_tokens=ctx.tally.prompt_tokens,
            completion_tokens=ctx.tally.completion_tokens,
            cost_usd=round(ctx.tally.cost, 8) if ctx.tally.cost_known else None,
            calls=ctx.tally.calls,
            duration_ms=(time.perf_counter() - ctx.started) * 1000,
        )
        common = {"judge": self.name, "model": self.model, "prompt_version": PROMPT_VERSION, "usage": usage}
        good = [s.output for s in samples if s.output is not None]
        if not good:
            return redact_verdict(Verdict.ungraded(ctx.question.id, samples[0].error or "judge failed", **common))
        verdict = redact_verdict(_assemble(ctx, good, common, self._offline))
        if len(good) < len(samples):
            failed = len(samples) - len(good)
            verdict.flags.append(Flag(kind="sample_spread", detail=f"{failed} of {len(samples)} samples failed"))
        if self.cache is not None:
            try:
                self.cache.cache_put(self.cache_key(ctx.question, ctx.answer, ctx.rubric), verdict)
            except Exception:  # noqa: BLE001, S110
                pass
        return verdict


# --- scoring rules (pure functions, so tests and benchmarks can call them directly) -----------


def _assemble(ctx: _Context, outputs: list[JudgeOutput], common: dict, offline_judge: Any) -> Verdict:
    from rubrics.llm.crosscheck import Case, cross_check
    from rubrics.manipulation import detect_manipulation, strip_manipulation

    rubric = ctx.rubric
    flags: list[Flag] = list(detect_manipulation(ctx.answer))
    substance = strip_manipulation(ctx.answer)
    haystacks = [substance, neutralize(substance)]
    unverified: set[str] = set()
    per_sample: list[tuple[list[KeyPointVerdict], list[MisconceptionHit]]] = []
    for out in outputs:
        kps = _verified_points(rubric, out, haystacks, unverified)
        hits = _verified_misconceptions(rubric, out, haystacks, unverified)
        per_sample.append((kps, hits))

    # Per-point median across samples (lower median: ties never round a credit up).
    key_points: list[KeyPointVerdict] = []
    for i, kp in enumerate(rubric.key_points):
        votes = sorted((s[0][i] for s in per_sample), key=lambda v: CREDIT_VALUE[v.credit.value])
        key_points.append(votes[(len(votes) - 1) // 2].model_copy())
    counts: dict[str, int] = {}
    for _, hits in per_sample:
        for h in hits:
            counts[h.id] = counts.get(h.id, 0) + 1
    misconceptions: list[MisconceptionHit] = []
    for _, hits in per_sample:
        for h in hits:
            if counts[h.id] * 2 > len(per_sample) and all(m.id != h.id for m in misconceptions):
                misconceptions.append(h)

    scores = [compute_score(kps, hits) for kps, hits in per_sample]
    if len(scores) > 1 and max(scores) - min(scores) >= SPREAD_GAP:
        flags.append(Flag(kind="sample_spread", detail=f"sample scores ranged {min(scores):g}-{max(scores):g}"))
    if unverified:
        flags.append(Flag(kind="unverified_evidence",
                          detail="quoted evidence not found in the answer for: " + ", ".join(sorted(unverified))))
    reported = [o.manipulation for o in outputs if o.manipulation and not _says_none(o.manipulation)]
    if reported and not any(f.kind == "manipulation" for f in flags):
        flags.append(Flag(kind="manipulation", detail=f"reported by the judge: {reported[0][:200]}"))

    offline = offline_judge.grade(ctx.question, ctx.answer)
    checked = cross_check(Case(ctx.question, rubric, ctx.answer, key_points, misconceptions, offline, flags))
    key_points, misconceptions = checked.key_points, checked.misconceptions
    flags += checked.flags

    holistics = [o.holistic_score for o in outputs if o.holistic_score is not None]
    holistic = round(statistics.median(holistics), 2) if holistics else None
    mid = sorted(range(len(scores)), key=lambda j: scores[j])[(len(scores) - 1) // 2]
    verdict = Verdict(
        question_id=ctx.question.id,
        key_points=key_points,
        misconceptions=misconceptions,
        feedback=outputs[mid].feedback.strip(),
        holistic_score=holistic,
        flags=flags,
        **common,
    )
    if holistic is not None and verdict.score is not None and abs(holistic - verdict.score) >= DISAGREEMENT_GAP:
        verdict.flags.append(Flag(kind="judge_disagreement",
                                  detail=f"the model's own score {holistic:g} vs computed {verdict.score:g}"))
    return verdict


def _verified_points(rubric: Rubric, out: JudgeOutput, haystacks: list[str], unverified: set[str]) -> list[KeyPointVerdict]:
    by_id = {p.id: p for p in out.key_points}
    result = []
    for kp in rubric.key_points:
        p = by_id[kp.id]
        credit = Credit(p.credit)
        evidence = p.evidence
        rationale = p.rationale
        if credit is not Credit.none:
            if not evidence or not _found(evidence, haystacks):
                unverified.add(kp.id)
                credit = Credit.none
                rationale = f"[evidence not found in the answer] {rationale or ''}".strip()
            elif credit is Credit.full and _too_thin(evidence):
                credit = Credit.partial
                rationale = f"[evidence too thin for full credit] {rationale or ''}".strip()
        result.append(KeyPointVerdict(id=kp.id, text=kp.text.en, weight=kp.weight, credit=credit,
                                      evidence=evidence if credit is not Credit.none else None, rationale=rationale))
    return result


def _verified_misconceptions(rubric: Rubric, out: JudgeOutput, haystacks: list[str], unverified: set[str]) -> list[MisconceptionHit]:
    by_id = {m.id: m for m in rubric.misconceptions}
    hits = []
    for h in out.misconceptions:
        m = by_id.get(h.id)
        if m is None:
            continue
        if not h.evidence or not _found(h.evidence, haystacks):
            unverified.add(h.id)  # never penalise on a quote the candidate did not write
            continue
        hits.append(MisconceptionHit(id=m.id, text=m.text.en, penalty=m.penalty, evidence=h.evidence))
    return hits


def _found(evidence: str, haystacks: list[str]) -> bool:
    """The quote (pieces around an ellipsis each) occurs in the answer after normalisation."""
    pieces = [p for p in _ELLIPSIS.split(evidence.strip().strip('"“”「」')) if normalize(p)]
    if not pieces:
        return False
    return any(all(contains_normalized(h, p) for p in pieces) for h in haystacks)


def _too_thin(evidence: str) -> bool:
    """A bare term cannot show that a point was explained (about three words, or six CJK chars)."""
    n = normalize(evidence)
    size = len(_WORD.findall(_CJK.sub(" ", n))) + len(_CJK.findall(n)) / 2
    return size < 3


def _says_none(text: str) -> bool:
    return bool(re.match(r"^\s*(none|no|n/?a|nothing|null|not (detected|found|present)|无|没有)\b", text, re.I))


def _effective_rubric(question: Question) -> Rubric:
    from rubrics.derive import effective_rubric

    return effective_rubric(question)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


# --- error classification ------------------------------------------------------------------------


def _status(e: Exception) -> int | None:
    s = getattr(e, "status_code", None)
    return s if isinstance(s, int) else None


def _retryable(e: Exception) -> bool:
    name = type(e).__name__
    if name in ("Timeout", "APITimeoutError", "APIConnectionError", "ServiceUnavailableError",
                "InternalServerError", "BadGatewayError", "RateLimitError", "TimeoutError", "ConnectionError"):
        return True
    status = _status(e)
    return status is not None and (status in _RETRY_STATUS or status >= 500)


def _rejects_schema(e: Exception) -> bool:
    return _status(e) == 400 and bool(re.search(r"response_format|json_schema", str(e), re.I))


def _retry_after(e: Exception) -> float | None:
    for src in (getattr(e, "litellm_response_headers", None), getattr(getattr(e, "response", None), "headers", None)):
        try:
            value = src.get("retry-after") if src is not None else None
            if value is not None:
                return max(0.0, float(value))
        except (TypeError, ValueError, AttributeError):
            continue
    return None



def _describe(e: Exception, attempts: int) -> str:
    """The failure in one line (``rubrics.llm.errors``), with any secret the provider echoed removed."""
    return redact(describe_error(e, attempts))
