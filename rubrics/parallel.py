"""Batch grading with an LLM judge across worker processes.

Why processes: against a healthy provider, grading at volume is bound by litellm's own CPU per call
(~4-5 ms of Python per request in litellm: its logging payload, cost lookup, response building and
a thread hop per call; no setting tried cut it measurably), not by the network, and one process has
one GIL. Measured with
benchmarks/llm_judge_throughput.py on 2 cores: one process reaches ~0.55 of the ideal throughput,
two workers ~0.62 (each worker pays ~0.5 s of cold start: litellm's lazy imports, first clients).

Why this shape: the parent keeps the SQLite store. It answers cache hits and empty answers itself,
then each worker grades its share of the rest with the async path and a share of the concurrency,
and streams back every verdict, every logged call and every cache write as messages; the parent
applies them to the judge's own cache and call log exactly as an in-process grade would. A worker
that dies loses nothing: whatever it did not report is graded in the parent afterwards.

Workers are forked when the parent is single-threaded (no second litellm import, ~3 s of CPU
each), else spawned.

Workers die with their parent: a parent killed with SIGKILL runs no cleanup, and its workers used
to go on calling the API (120 requests in the 6 s after the kill). On Linux the kernel kills them
(``PR_SET_PDEATHSIG``); everywhere, a watcher thread in each worker exits the moment its lifeline
(a pipe whose only writer is the parent) reads end-of-file, and a failed send to the parent ends
the worker too.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import wait

from question_bank.models import Question
from rubrics.judge import LLMCall, agrade_answer, finish_verdict, prepare_answer
from rubrics.verdict import Verdict

#: Below this many answers to grade, worker start-up is not worth it (auto mode).
MIN_ITEMS_FOR_WORKERS = 200


@dataclass
class Job:
    index: int
    question: Question
    answer: str


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def auto_workers(n_items: int, concurrency: int) -> int:
    """Default worker count: one per core up to 2, for batches large enough to pay for start-up."""
    if n_items < MIN_ITEMS_FOR_WORKERS:
        return 1
    return max(1, min(2, cpu_count(), concurrency))


def split_concurrency(total: int, workers: int) -> list[int]:
    """Per-worker in-flight limits that add up to ``total`` (so the provider sees the same load)."""
    base, extra = divmod(max(total, workers), workers)
    return [base + (1 if i < extra else 0) for i in range(workers)]


# --- worker side -----------------------------------------------------------------------------------


class _Outbox:
    """The worker's side of its pipe to the parent. Verdicts, logged calls and cache writes are
    batched and sent from the event loop every few milliseconds as one JSON message: a message per
    item through an mp.Queue (whose feeder thread fights the event loop for the GIL) cost ~0.8 ms
    more CPU per grade (one worker, 1,000 grades against the benchmark server)."""

    FLUSH_EVERY = 0.02  # seconds
    FLUSH_AT = 256  # messages

    def __init__(self, conn) -> None:  # noqa: ANN001
        self.conn = conn
        self.buf: list[list] = []
        self._timer: asyncio.TimerHandle | None = None

    def add(self, msg: list) -> None:
        self.buf.append(msg)
        if len(self.buf) >= self.FLUSH_AT:
            self.flush()
        elif self._timer is None:
            try:
                self._timer = asyncio.get_running_loop().call_later(self.FLUSH_EVERY, self.flush)
            except RuntimeError:  # no loop (not expected): send at once
                self.flush()

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.buf:
            batch, self.buf = self.buf, []
            try:
                self.conn.send_bytes(json.dumps(batch).encode("utf-8"))
            except OSError:  # the parent is gone: nobody will use what this worker grades
                os._exit(1)

    # the worker judge's cache and call log: writes go to the parent, which owns the store; reads
    # miss, because the parent answered the cache hits before handing out the work
    def cache_get(self, key: str) -> Verdict | None:
        return None

    def cache_put(self, key: str, verdict: Verdict) -> None:
        self.add(["cache", key, verdict.model_dump_json()])

    def record_call(self, call: LLMCall) -> None:
        self.add(["call", call.model_dump_json()])


#: prctl option: the signal this process gets when its parent (the thread that forked it) exits.
PR_SET_PDEATHSIG = 1


def _die_with_parent(parent_pid: int, lifeline, lifeline_writer) -> None:  # noqa: ANN001 - Connections
    """Make sure this worker does not outlive ``parent_pid`` (see the module docstring)."""
    lifeline_writer.close()  # the copy a forked child inherits: only the parent may hold the writer
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no libc to ask: the lifeline below still works
            pass
    if os.getppid() != parent_pid:  # the parent died before the kernel was told to tell us
        os._exit(1)

    def watch() -> None:
        try:
            lifeline.recv_bytes()  # the parent never writes: this returns only when it is gone
        except (EOFError, OSError):
            pass
        os._exit(1)

    threading.Thread(target=watch, name="lifeline", daemon=True).start()


def _worker(recipe: dict, jobs: list[Job], concurrency: int, conn, forward_cache: bool,  # noqa: ANN001
            parent_pid: int, lifeline, lifeline_writer) -> None:  # noqa: ANN001
    _die_with_parent(parent_pid, lifeline, lifeline_writer)
    from rubrics.llm.judge import LLMJudge

    out = _Outbox(conn)

    async def run() -> None:
        judge = LLMJudge.from_recipe(recipe, cache=out if forward_cache else None, call_log=out)
        sem = asyncio.Semaphore(max(1, concurrency))

        async def one(job: Job) -> None:
            async with sem:
                v = await agrade_answer(judge, job.question, job.answer)
            out.add(["result", job.index, v.model_dump_json()])

        await asyncio.gather(*(one(j) for j in jobs))

    try:
        asyncio.run(run())
    except BaseException:  # noqa: BLE001, S110 - Ctrl-C or a broken worker: the parent regrades what is missing
        pass
    finally:
        try:
            out.flush()  # the parent reads EOF next: this worker is finished
            conn.close()
        except OSError:
            pass


# --- parent side -----------------------------------------------------------------------------------


def _context():  # noqa: ANN202
    """fork when it is safe (no other thread whose locks a child could inherit held), else spawn."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1 and sys.platform != "darwin":
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


class WorkerRun:
    """Started by ``start_workers`` (which forks, so do it before starting threads such as a
    progress bar); ``collect`` then gathers every verdict."""

    def __init__(self, judge, jobs: list[Job], workers: int, concurrency: int) -> None:  # noqa: ANN001
        self.judge = judge
        self.results: dict[int, Verdict] = {}
        self._early: list[tuple[int, Verdict]] = []
        pending: list[Job] = []
        for job in jobs:
            early, graded, truncated = prepare_answer(judge, job.question, job.answer)
            if early is None:
                started = time.perf_counter()
                hit = judge.cached_verdict(job.question, graded)
                if hit is not None:
                    early = finish_verdict(hit, job.answer, truncated, started)
            if early is not None:
                self._early.append((job.index, early))
            else:
                pending.append(job)
        self.pending = pending
        workers = max(1, min(workers, len(pending), concurrency)) if pending else 0
        self._by_index = {j.index: j for j in pending}
        self._procs: list = []
        self._conns: list = []
        self.start_method: str | None = None
        if not workers:
            return
        ctx = _context()
        self.start_method = ctx.get_start_method()
        if self.start_method == "fork":  # the cross-check's offline judge needs jieba: load it once, here
            from rubrics.text import warm_up

            warm_up()
        shares = [pending[i::workers] for i in range(workers)]
        limits = split_concurrency(concurrency, workers)
        forward_cache = judge.cache is not None
        # held open by this process only, until collect() ends: its EOF tells the workers we are gone
        self._lifeline, self._lifeline_writer = ctx.Pipe(duplex=False)
        for share, limit in zip(shares, limits):
            recipe = judge.worker_recipe(limit)
            receiver, sender = ctx.Pipe(duplex=False)
            p = ctx.Process(target=_worker, args=(recipe, share, limit, sender, forward_cache, os.getpid(),
                                                  self._lifeline, self._lifeline_writer),
                            name=f"grader-{len(self._procs)}", daemon=True)
            p.start()
            sender.close()  # the child holds the only sending end: EOF here means it has exited
            self._procs.append(p)
            self._conns.append(receiver)

    @property
    def workers(self) -> int:
        return len(self._procs)

    def collect(self, on_result: Callable[[int, Verdict], None] | None = None) -> dict[int, Verdict]:
        """Every job's verdict by index; calls, cache writes and ``on_result`` happen in this process."""
        finished = False
        try:
            for index, v in self._early:
                self._deliver(index, v, on_result)
            if self._procs:
                self._drain(on_result)
            finished = True
        finally:
            self._stop(wait=finished)
        missing = [j for j in self.pending if j.index not in self.results]
        if missing:  # a worker died: grade what it left here, nothing is lost
            self._grade_here(missing, on_result)
        return self.results

    def _deliver(self, index: int, v: Verdict, on_result: Callable[[int, Verdict], None] | None) -> None:
        self.results[index] = v
        if on_result is not None:
            on_result(index, v)

    def _drain(self, on_result: Callable[[int, Verdict], None] | None) -> None:
        open_conns = list(self._conns)
        while open_conns:
            for conn in wait(open_conns):
                try:
                    batch = json.loads(conn.recv_bytes())
                except (EOFError, OSError, ValueError):  # the worker is gone (finished or died mid-message)
                    open_conns.remove(conn)
                    continue
                for msg in batch:
                    self._apply(msg, on_result)

    def _apply(self, msg: list, on_result: Callable[[int, Verdict], None] | None) -> None:
        kind = msg[0]
        if kind == "result":
            self._deliver(msg[1], Verdict.model_validate_json(msg[2]), on_result)
        elif kind == "call" and self.judge.call_log is not None:
            self._safely(lambda: self.judge.call_log.record_call(LLMCall.model_validate_json(msg[1])))
        elif kind == "cache" and self.judge.cache is not None:
            self._safely(lambda: self.judge.cache.cache_put(msg[1], Verdict.model_validate_json(msg[2])))

    @staticmethod
    def _safely(write: Callable[[], None]) -> None:
        try:
            write()
        except Exception:  # noqa: BLE001, S110 - a lost log row or cache entry must not lose a verdict
            pass

    def _grade_here(self, jobs: list[Job], on_result: Callable[[int, Verdict], None] | None) -> None:
        async def run() -> None:
            sem = asyncio.Semaphore(max(1, getattr(self.judge, "concurrency", 8)))

            async def one(job: Job) -> None:
                async with sem:
                    v = await agrade_answer(self.judge, job.question, job.answer)
                self._deliver(job.index, v, on_result)

            await asyncio.gather(*(one(j) for j in jobs))

        asyncio.run(run())

    def _stop(self, wait: bool) -> None:
        for p in self._procs:
            p.join(timeout=5 if wait else 0)
            if p.is_alive():
                p.terminate()
                p.join(timeout=5)
        for conn in self._conns:
            conn.close()
        if self._procs:
            self._lifeline_writer.close()
            self._lifeline.close()


def start_workers(judge, jobs: list[Job], workers: int, concurrency: int) -> WorkerRun:  # noqa: ANN001
    """Answer cache hits here and start ``workers`` processes for the rest."""
    return WorkerRun(judge, jobs, workers, concurrency)
