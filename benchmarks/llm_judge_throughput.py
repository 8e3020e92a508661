"""Grading throughput of the LLM judge against the local test server.

1,000 answers, 100 ms injected latency per request, concurrency 32. Ideal wall time is
1000 x 0.1 s / 32 = 3.125 s; we print actual wall time and ideal/actual (target >= 0.6) for the
async path (calibration) and the thread-pool path (the interviewer's background grader).

    /work/venv/bin/python benchmarks/llm_judge_throughput.py [--n 1000] [--latency 0.1] [--concurrency 32] [--mode both]
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
    from rubrics.llm_judge import LLMJudge

    return LLMJudge(MODEL, api_base=base_url, api_key="sk-bench", concurrency=concurrency,
                    timeout=30, retries=2, backoff=0.05, cache=None)


def run_async(judge, question, answers: list[str]) -> list:
    async def go():
        return await asyncio.gather(*(judge.agrade(question, a) for a in answers))

    return asyncio.run(go())


def run_threads(judge, question, answers: list[str], workers: int) -> list:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda a: judge.grade(question, a), answers))


def run_bare_litellm(base_url: str, n: int, concurrency: int) -> None:
    from rubrics.llm_client import get_litellm

    litellm = get_litellm()

    async def go(count: int) -> None:
        sem = asyncio.Semaphore(concurrency)

        async def one(i: int) -> None:
            async with sem:
                await litellm.acompletion(model=MODEL, api_base=base_url, api_key="sk-bench", max_retries=0,
                                          timeout=30, messages=[{"role": "user", "content": f"hello {i}"}])

        await asyncio.gather(*(one(i) for i in range(count)))

    asyncio.run(go(concurrency))
    return asyncio.run(go(n))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--mode", choices=["async", "threads", "both"], default="both")
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
        modes = ["async", "threads"] if args.mode == "both" else [args.mode]
        if args.baseline:
            started = time.perf_counter()
            cpu0 = time.process_time()
            run_bare_litellm(base_url, args.n, args.concurrency)
            wall = time.perf_counter() - started
            print(f"  bare litellm: wall {wall:.3f} s  ideal/actual {ideal / wall:.2f}  "
                  f"client CPU {(time.process_time() - cpu0) / args.n * 1000:.2f} ms/call")
        for mode in modes:
            judge = make_judge(base_url, args.concurrency)
            # warm up: litellm import, client pools, the offline cross-check's caches
            warm = [f"{ANSWER} warm-up {i}" for i in range(args.concurrency)]
            run_async(judge, question, warm) if mode == "async" else run_threads(judge, question, warm, args.concurrency)
            answers = [f"{ANSWER} (variant {i})" for i in range(args.n)]
            started = time.perf_counter()
            cpu0 = time.process_time()
            if mode == "async":
                verdicts = run_async(judge, question, answers)
            else:
                verdicts = run_threads(judge, question, answers, args.concurrency)
            wall = time.perf_counter() - started
            cpu = time.process_time() - cpu0
            graded = sum(v.status == "graded" for v in verdicts)
            print(f"  {mode:7s}: wall {wall:.3f} s  ideal/actual {ideal / wall:.2f}  graded {graded}/{args.n}  "
                  f"client CPU {cpu:.2f} s ({cpu / args.n * 1000:.2f} ms/grade, litellm and HTTP included)")
    finally:
        server.stop() if isinstance(server, LLMServer) else server.close()

if __name__ == "__main__":
    main()
