"""Grading throughput of the LLM judge against the local test server.

1,000 answers, 100 ms injected latency per request, concurrency 32. Ideal wall time is
1000 x 0.1 s / 32 = 3.125 s; we print actual wall time and ideal/actual (target >= 0.6) for:
``processes`` (what ``calibrate`` / ``regrade`` do for 200+ answers: forked workers sharing the
concurrency, started cold, start-up included), ``async`` (one process, as ``calibrate --workers 1``),
``threads`` (the interviewer's background grader) and, with --baseline, bare ``litellm.acompletion``
calls (cold start included).

    /work/venv/bin/python benchmarks/llm_judge_throughput.py [--n 1000] [--latency 0.1] [--concurrency 32]
        [--mode all|processes|async|threads] [--workers 2] [--baseline]

Measured on the 2-core dev VM (one run of ``--mode all --baseline``, quiet machine):

    processes x2: wall 5.205 s  ideal/actual 0.60  client CPU 6.25 ms/grade (parent + workers)
    async       : wall 5.665 s  ideal/actual 0.55  client CPU 4.93 ms/grade
    threads     : wall 6.887 s  ideal/actual 0.45  client CPU 6.78 ms/grade
    bare litellm: wall 9.343 s  ideal/actual 0.33

Before this round (same command, old server, async only): wall 6.270 s, ideal/actual 0.50,
5.07 ms/grade. Most of the one-process gain is the test server's, not ours: it listened with a
backlog of 5 (a burst of 32 connections lost SYNs, ~1 s retransmits) and sent headers and body in
two Nagle-delayed writes; a bare aiohttp client went from 0.57 to 0.95 against it once fixed.
litellm's CPU per call (~4-5 ms: logging payload, cost lookup, response building, a thread hop)
is what remains; settings tried without a gain above run-to-run noise (+/-0.5 ms):
``turn_off_message_logging``, httpx instead of aiohttp (twice slower), registering an unpriced
model to end litellm's per-call price search. Runs vary by about +/-0.05 in the ratio; the
processes path measured 0.60-0.64 over five runs, async 0.50-0.57. Workers start ~0.5 s cold
(first result at ~0.6 s); from then on two workers run at ~0.72 of ideal.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._server import ServerProcess  # noqa: E402
from question_bank.loader import load_file  # noqa: E402
from tests.llm_server import LLMServer, bench_full  # noqa: E402

MODEL = "openai/test-model"
ANSWER = (
    "The dot product of q and k has variance d_k, so scores grow with the dimension. "
    "Large scores saturate the softmax and the gradients vanish. Dividing by sqrt(d_k) restores unit variance. "
)


def make_judge(base_url: str, concurrency: int):
    from rubrics.llm.judge import LLMJudge

    return LLMJudge(MODEL, api_base=base_url, api_key="sk-bench", concurrency=concurrency,
                    timeout=30, retries=2, backoff=0.05, cache=None)


def run_async(judge, question, answers: list[str]) -> list:
    async def go():
        return await asyncio.gather(*(judge.agrade(question, a) for a in answers))

    return asyncio.run(go())


def run_threads(judge, question, answers: list[str], workers: int) -> list:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda a: judge.grade(question, a), answers))


def run_processes(judge, question, answers: list[str], workers: int, concurrency: int) -> list:
    """What `calibrate --workers N` does: the parent hands out shares and collects verdicts."""
    from rubrics.parallel import Job, start_workers

    run = start_workers(judge, [Job(i, question, a) for i, a in enumerate(answers)], workers, concurrency)
    if run.start_method != "fork":
        print(f"  (workers started with {run.start_method}: each imports litellm, seconds of CPU)")
    verdicts = run.collect()
    return [verdicts[i] for i in range(len(answers))]


def run_bare_litellm(base_url: str, n: int, concurrency: int) -> None:
    from rubrics.llm.client import get_litellm

    litellm = get_litellm()

    async def go(count: int) -> None:
        sem = asyncio.Semaphore(concurrency)

        async def one(i: int) -> None:
            async with sem:
                await litellm.acompletion(model=MODEL, api_base=base_url, api_key="sk-bench", max_retries=0,
                                          timeout=30, messages=[{"role": "user", "content": f"hello {i}"}])

        await asyncio.gather(*(one(i) for i in range(count)))

    async def both() -> None:  # one event loop: litellm's HTTP clients are per loop
        await go(concurrency)
        await go(n)

    asyncio.run(both())


def _cpu() -> float:
    """CPU of this process and of its finished children (the grading workers; the server is
    still running, so it is not counted)."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--mode", choices=["async", "threads", "processes", "all"], default="all")
    ap.add_argument("--workers", type=int, default=2, help="processes for --mode processes")
    ap.add_argument("--baseline", action="store_true",
                    help="also time bare litellm.acompletion calls: the ceiling any litellm-based judge can reach here")
    ap.add_argument("--in-process-server", action="store_true",
                    help="run the server as a thread of this process (it then competes for our GIL)")
    args = ap.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench")
    question = load_file(ROOT / "question_bank" / "examples" / "custom_bank.yaml")[0]
    ideal = args.n * args.latency / args.concurrency
    print(f"{args.n} answers, {args.latency * 1000:.0f} ms latency, concurrency {args.concurrency}: ideal {ideal:.3f} s")
    server = (LLMServer(default=bench_full, delay=args.latency).start() if args.in_process_server
              else ServerProcess(args.latency))
    try:
        base_url = server.base_url
        # processes first: workers are only forked from a parent with no other thread yet
        modes = ["processes", "async", "threads"] if args.mode == "all" else [args.mode]
        if args.baseline:
            started = time.perf_counter()
            cpu0 = time.process_time()
            run_bare_litellm(base_url, args.n, args.concurrency)
            wall = time.perf_counter() - started
            print(f"  bare litellm: wall {wall:.3f} s  ideal/actual {ideal / wall:.2f}  "
                  f"client CPU {(time.process_time() - cpu0) / args.n * 1000:.2f} ms/call")
        for mode in modes:
            judge = make_judge(base_url, args.concurrency)
            answers = [f"{ANSWER} (variant {i})" for i in range(args.n)]
            if mode == "processes":
                # no warm-up: forked workers start cold, as they do under `calibrate`; litellm is
                # imported in the parent first, as make_judge does in the CLI
                from rubrics.llm.client import get_litellm

                get_litellm()
            else:
                # warm up: litellm import, client pools, the offline cross-check's caches
                warm = [f"{ANSWER} warm-up {i}" for i in range(args.concurrency)]
                run_async(judge, question, warm) if mode == "async" else run_threads(judge, question, warm, args.concurrency)
            started = time.perf_counter()
            cpu0 = _cpu()
            if mode == "async":
                verdicts = run_async(judge, question, answers)
            elif mode == "threads":
                verdicts = run_threads(judge, question, answers, args.concurrency)
            else:
                verdicts = run_processes(judge, question, answers, args.workers, args.concurrency)
            wall = time.perf_counter() - started
            cpu = _cpu() - cpu0
            graded = sum(v.status == "graded" for v in verdicts)
            label = f"{mode} x{args.workers}" if mode == "processes" else mode
            print(f"  {label:12s}: wall {wall:.3f} s  ideal/actual {ideal / wall:.2f}  graded {graded}/{args.n}  "
                  f"client CPU {cpu:.2f} s ({cpu / args.n * 1000:.2f} ms/grade, litellm and HTTP included)")
    finally:
        server.stop() if isinstance(server, LLMServer) else server.close()

if __name__ == "__main__":
    main()
