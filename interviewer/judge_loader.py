"""The judge of an interactive interview, built behind the first question instead of before it.

Building an LLM judge imports litellm, which takes seconds, and the offline judge loads its
dictionaries; neither may keep a candidate looking at a blank screen. So the interview asks its
first question at once while a thread builds the judge and, for an LLM judge, sends it one tiny
request to learn whether the model answers. ``JudgeStatus`` holds what is known; the terminal UI
shows it under the question, so a candidate learns the judge is down before investing half an
hour. Grading waits for the judge, or records the answer as ungraded with the reason.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from interviewer.notices import one_line
from question_bank.models import Question
from reports.labels import t
from rubrics.verdict import Verdict

#: The preflight's request: as small as a request can be.
PREFLIGHT_MESSAGES = [{"role": "user", "content": "Reply with the word OK."}]
PREFLIGHT_TIMEOUT = 30.0

_TEXT = {
    "loading": ("judge {model}: loading…", "评分器 {model}：加载中…"),
    "checking": ("judge {model}: checking that it answers…", "评分器 {model}：正在检查能否连通…"),
    "ready": ("judge {model}: ready ({seconds:.1f} s to answer)", "评分器 {model}：就绪（响应用时 {seconds:.1f} 秒）"),
    "failed": ("judge {model} is not working: {problem}. Your answers are still saved; "
               "`interviewer regrade` grades them once it works",
               "评分器 {model} 无法使用：{problem}。回答照常保存，评分器恢复后可用 `interviewer regrade` 重新评分"),
}


class JudgeStatus:
    """What is known about the judge, safe to read from the UI thread while a worker writes it."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.state = "loading"  # loading | checking | ready | failed
        self.problem: str | None = None
        self.seconds = 0.0
        self._lock = threading.Lock()

    def set(self, state: str, problem: str | None = None, seconds: float = 0.0) -> None:
        with self._lock:
            self.state, self.problem, self.seconds = state, problem, seconds

    def note_verdict(self, _record: object, verdict: Verdict) -> None:
        """Grading during the interview is news too (BackgroundGrader's on_graded): the line shows
        the latest outcome, a failure or the judge answering again."""
        if verdict.status != "graded":
            self.set("failed", verdict.reason or "grading failed")
        elif verdict.usage.calls and not verdict.usage.cached:
            self.set("ready", seconds=verdict.usage.duration_ms / 1000)

    def line(self, lang: str = "en") -> str:
        with self._lock:
            state, problem, seconds = self.state, self.problem, self.seconds
        return t(state, lang, _TEXT, model=self.model, problem=(problem or "").rstrip("."), seconds=seconds)


class LazyJudge:
    """A Judge whose real judge is built on a thread by ``start()``; ``grade`` waits for it."""

    def __init__(self, build: Callable[[], object], *, name: str, model: str, concurrency: int,
                 preflight: bool = True, identity: object | None = None) -> None:
        self.name = name
        self._identity = identity
        self.concurrency = concurrency
        self.status = JudgeStatus(model)
        self._build = build
        self._preflight = preflight
        self._judge: object | None = None
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def identity(self) -> object | None:
        """Who grades (model, endpoint, prompt version), known before the judge is built."""
        if self._judge is not None:
            from rubrics.judge_trust import identity_of  # noqa: PLC0415

            return identity_of(self._judge)
        return self._identity

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._load, name="judge-loader", daemon=True)
            self._thread.start()

    def _load(self) -> None:
        try:
            judge = self._build()
        except Exception as e:  # noqa: BLE001 - UserError from the checks litellm makes, or anything else
            self.status.set("failed", one_line(e, 300))
            self._done.set()
            return
        self._judge = judge
        self._done.set()
        if not self._preflight or not hasattr(judge, "model"):
            self.status.set("ready")
            return
        self.status.set("checking")
        started = time.perf_counter()
        problem = preflight(judge)
        if problem:
            self.status.set("failed", problem)
        else:
            self.status.set("ready", seconds=time.perf_counter() - started)

    def judge(self, timeout: float | None = None) -> object | None:
        """The built judge (waiting for it), or None when it could not be built."""
        self.start()
        self._done.wait(timeout)
        return self._judge

    def grade(self, question: Question, answer: str) -> Verdict:
        judge = self.judge()
        if judge is None:
            return Verdict.ungraded(question.id, f"the judge could not be loaded: {self.status.problem}", judge=self.name)
        return judge.grade(question, answer)  # type: ignore[attr-defined]


def preflight(judge) -> str | None:  # noqa: ANN001 - an LLMJudge
    """Why the model does not answer a one-word request (one line), or None when it does."""
    from rubrics.judge import LLMCall
    from rubrics.llm.client import chat
    from rubrics.llm.errors import describe_error

    started = time.perf_counter()
    try:
        chat(judge, PREFLIGHT_MESSAGES, max_tokens=5, timeout=min(float(judge.timeout), PREFLIGHT_TIMEOUT))
    except Exception as e:  # noqa: BLE001 - every failure is the news this request is for
        problem = describe_error(e)
        _log(judge, LLMCall(model=judge.model, purpose="preflight", status="error", error=problem[:500],
                            duration_ms=(time.perf_counter() - started) * 1000))
        return problem
    _log(judge, LLMCall(model=judge.model, purpose="preflight", duration_ms=(time.perf_counter() - started) * 1000))
    return None


def _log(judge, call) -> None:  # noqa: ANN001
    log = getattr(judge, "call_log", None)
    if log is not None:
        try:
            log.record_call(call)
        except Exception:  # noqa: BLE001, S110 - losing a log row must not stop the interview
            pass

