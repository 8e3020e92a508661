"""Every judge is safe to call from many threads: the interviewer grades in a thread pool and the LLM
judge runs the offline judge inside its own threads. The same answers graded from 8 threads at once
must give exactly the verdicts a sequential run gives (a shared Snowball stemmer once turned 46 of
160 answers into "judge error: IndexError")."""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from question_bank.loader import load_bank
from rubrics.judge import grade_answer
from rubrics.offline import OfflineJudge
from tests.llm_server import Reply, verdict_for

THREADS = 8


@pytest.fixture(scope="module")
def cases():
    """Keyword-heavy answers (reference answers, their words shuffled into lists, and a Chinese
    one) over many questions: many distinct words, so the stemmer is exercised, not its cache."""
    bank = load_bank()
    qs = [q for q in bank.questions.values()][::11][:30]
    out = []
    for q in qs:
        ref = q.reference_answer.en
        words = ref.replace(".", " ").split()
        out.append((q, ref))
        out.append((q, ", ".join(reversed(words))))
        if q.reference_answer.zh:
            out.append((q, q.reference_answer.zh))
    return out


def _strip(v) -> dict:  # noqa: ANN001
    d = v.model_dump(mode="json")
    d.pop("graded_at")
    d.pop("usage")
    return d


def _clear_caches() -> None:
    """Cold caches, as in a fresh process: the race is in what the caches would hide."""
    from rubrics import manipulation, text

    text.stem.cache_clear()
    text._sentence_spans.cache_clear()
    manipulation._words.cache_clear()


def _hammer(judge, cases) -> list[list[dict]]:  # noqa: ANN001
    """Grade every case from THREADS threads at once (each thread in its own order), with a tiny
    switch interval so that threads really interleave inside the judge."""
    barrier = threading.Barrier(THREADS)

    def run(k: int) -> list[dict]:
        barrier.wait()
        order = list(range(len(cases)))[k:] + list(range(len(cases)))[:k]
        got: dict[int, dict] = {}
        for i in order:
            q, a = cases[i]
            got[i] = _strip(grade_answer(judge, q, a))
        return [got[i] for i in range(len(cases))]

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with ThreadPoolExecutor(THREADS) as pool:
            return list(pool.map(run, range(THREADS)))
    finally:
        sys.setswitchinterval(old)


@pytest.mark.timeout(240)
def test_offline_judge_from_8_threads_matches_a_sequential_run(cases):
    assert "thread" in OfflineJudge.__doc__.lower()
    sequential = [_strip(grade_answer(OfflineJudge(), q, a)) for q, a in cases]
    assert all(v["status"] == "graded" for v in sequential)
    _clear_caches()
    shared = OfflineJudge()  # one judge, as the background grader uses it
    for got in _hammer(shared, cases):
        errors = [v["reason"] for v in got if v["status"] != "graded"]
        assert not errors, errors[:3]
        assert got == sequential


@pytest.mark.timeout(240)
def test_llm_judge_from_8_threads_matches_a_sequential_run(cases, llm_server, make_llm_judge):
    """The LLM judge cross-checks every verdict with the offline judge inside its grading threads."""
    from rubrics.llm.judge import LLMJudge

    assert "thread" in LLMJudge.__doc__.lower()
    llm_server.set_default(lambda body: Reply.json(verdict_for(body, "full", holistic=9)))
    few = cases[:12]
    sequential = [_strip(grade_answer(make_llm_judge(cache=None), q, a)) for q, a in few]
    assert all(v["status"] == "graded" for v in sequential), [v["reason"] for v in sequential]
    _clear_caches()
    judge = make_llm_judge(cache=None)
    for got in _hammer(judge, few):
        errors = [v["reason"] for v in got if v["status"] != "graded"]
        assert not errors, errors[:3]
        assert got == sequential
