"""Shared fixtures. LLM tests talk to ``tests.llm_server`` through real litellm over real HTTP;
nothing in the test suite may reach a real provider."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from question_bank.loader import load_file
from question_bank.models import Question
from tests.llm_server import LLMServer, Reply

EXAMPLE_BANK = Path(__file__).resolve().parents[1] / "question_bank" / "examples" / "custom_bank.yaml"
DUMMY_KEY = "sk-test-not-a-real-key"


@pytest.fixture(autouse=True, scope="session")
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test reads the developer's own config file or writes into their cache. Session-scoped so
    it is in force before any module-scoped fixture loads the bank."""
    home = tmp_path_factory.getbasetemp()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("INTERVIEWER_CONFIG", str(home / "no-such-config.toml"))
        mp.setenv("INTERVIEWER_CACHE_DIR", str(home / "cache"))
        mp.delenv("INTERVIEWER_JUDGE_MODEL", raising=False)
        yield


@pytest.fixture(scope="session")
def _llm_server_session() -> Iterator[LLMServer]:
    with LLMServer() as server:
        yield server


@pytest.fixture
def llm_server(_llm_server_session: LLMServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[LLMServer]:
    """The local OpenAI-compatible server, emptied of scripted replies and recorded requests."""
    server = _llm_server_session
    server.reset()
    server.set_default(Reply(content="{}"))
    server.delay = 0.0
    server.models, server.ollama_models = ["test-model"], None
    monkeypatch.setenv("OPENAI_API_KEY", DUMMY_KEY)
    monkeypatch.setenv("INTERVIEWER_TEST_LLM_KEY", DUMMY_KEY)
    yield server
    server.reset()


@pytest.fixture
def make_llm_judge(llm_server: LLMServer) -> Callable[..., object]:
    """LLMJudge against the local server, with timeouts and backoffs short enough for tests."""
    from rubrics.llm.judge import LLMJudge

    def make(model: str = "openai/test-model", **kw: object) -> LLMJudge:
        opts: dict = {"api_base": llm_server.base_url, "timeout": 2.0, "retries": 2, "backoff": 0.01,
                      "backoff_max": 0.05, "concurrency": 8}
        opts.update(kw)
        return LLMJudge(model, **opts)

    return make


@pytest.fixture(scope="session")
def example_question() -> Question:
    """A hand-written bilingual question with weighted key points and a misconception."""
    return load_file(EXAMPLE_BANK)[0]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> Callable[..., tuple[int, str, str]]:
    """``cli("history", "--json", ...)`` runs the `interviewer` entry point in this process, as a new
    process would (warnings said once per process are said again): (exit status, stdout, stderr)."""
    import sys

    from interviewer import notices
    from interviewer.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        notices._said.clear()
        monkeypatch.setattr(sys, "argv", ["interviewer", *args])
        with pytest.raises(SystemExit) as exit_info:
            main()
        out = capsys.readouterr()
        return int(exit_info.value.code or 0), out.out, out.err

    monkeypatch.setenv("INTERVIEWER_BANK", "")
    return run
