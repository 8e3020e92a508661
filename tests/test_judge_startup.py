"""An LLM-judged interview shows its first question at once: the key is checked without litellm
(seconds to import), the judge is built behind the first question, and a one-request preflight
tells the candidate, within that question, whether the judge answers. When grading fails anyway,
the terminal says why, names `interviewer regrade`, and the exit status says nothing was graded.

Everything runs the real `interviewer` in a subprocess against the local test server."""

from __future__ import annotations

import json
import os
import pty
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from interviewer.judge_factory import PROVIDER_KEYS
from tests.helpers import judge_notes_removed
from tests.llm_server import Reply, verdict_for

pytestmark = pytest.mark.timeout(180)
ROOT = Path(__file__).parents[1]
EXAMPLE = str(ROOT / "question_bank" / "examples" / "custom_bank.yaml")
QID = "example-attention-scaling"
GOOD = "Dividing by sqrt(d_k) restores unit variance, so the softmax does not saturate."

def env(**extra: str) -> dict:
    e = {**os.environ, "INTERVIEWER_BANK": "", **extra}
    e.pop("INTERVIEWER_JUDGE_MODEL", None)
    return e


def in_a_terminal(*args: str, data_dir: Path, **extra: str):
    """tests/interview_probe.py, holding litellm back, with a pseudo-terminal as stdin."""
    master, slave = pty.openpty()
    try:
        return subprocess.run([sys.executable, str(ROOT / "tests" / "interview_probe.py"), "--hold-litellm", *args,
                               "--data-dir", str(data_dir)], cwd=ROOT, stdin=slave, capture_output=True, text=True,
                              timeout=170, env=env(**extra))
    finally:
        os.close(slave)
        os.close(master)


def probe_lines(proc) -> dict[str, str]:
    """FIRST and STATUS lines of the probe, without their time stamps; ORDER when it appeared."""
    out = {}
    for line in proc.stdout.splitlines():
        word, _, rest = line.partition(" ")
        if word in ("FIRST", "STATUS"):
            out[word] = rest.partition(" ")[2]
        elif word == "ORDER:":
            out["ORDER"] = rest
    return out


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_first_question_before_litellm_then_the_preflight_says_ready(llm_server, tmp_path):
    proc = in_a_terminal("start", "--count", "1", "--bank", EXAMPLE, "--topic", "attention", "--minutes", "1.5",
                         "--judge", "openai/test-model", "--api-base", llm_server.base_url, data_dir=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert ": 1 question, 1.5 minutes." in " ".join(proc.stdout.split())
    lines = probe_lines(proc)
    assert lines["FIRST"] == "False" and "ORDER" not in lines  # litellm was not imported yet
    assert lines["STATUS"].startswith("judge openai/test-model: ready")
    assert llm_server.count == 1 and llm_server.requests[0].body["max_tokens"] == 5  # one tiny request
    assert "Paused." in proc.stdout  # the probe paused: nothing else happened to the typed text


def test_a_judge_that_is_down_is_reported_within_the_first_question(tmp_path):
    port = closed_port()
    proc = in_a_terminal("start", "--count", "1", "--judge", "openai/test-model",
                         "--api-base", f"http://127.0.0.1:{port}/v1", data_dir=tmp_path, OPENAI_API_KEY="sk-test")
    assert proc.returncode == 0, proc.stderr
    lines = probe_lines(proc)
    assert lines["FIRST"] == "False" and "ORDER" not in lines
    assert lines["STATUS"].startswith(f"judge openai/test-model is not working: cannot reach the judge: connection "
                                      f"refused by 127.0.0.1:{port}")


def test_a_model_litellm_does_not_know_is_reported_within_the_first_question(tmp_path):
    proc = in_a_terminal("start", "--count", "1", "--judge", "nosuchprovider/model", data_dir=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert probe_lines(proc)["STATUS"].startswith("judge nosuchprovider/model is not working: litellm cannot use model")


def test_a_missing_key_is_found_without_importing_litellm(tmp_path):
    answers = tmp_path / "a.jsonl"
    answers.write_text(json.dumps({"answer": GOOD}) + "\n")
    e = env()
    for names in PROVIDER_KEYS.values():
        for name in names:
            e.pop(name, None)
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "interviewer", "start", "--count", "1",
                           "--answers", str(answers), "--judge", "gemini/gemini-2.0-flash", "--data-dir", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, env=e, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1
    imported = {ln.split("|")[-1].strip().split(".")[0] for ln in proc.stderr.splitlines() if "| " in ln}
    assert "interviewer" in imported and "litellm" not in imported
    errors = [ln for ln in proc.stderr.splitlines() if not ln.startswith("import time:")]
    assert errors == ["error: judge 'gemini/gemini-2.0-flash' needs GEMINI_API_KEY or GOOGLE_API_KEY in the "
                      "environment; set it, or pass --api-key-env NAME for a variable of your own"]


def test_the_key_table_names_the_variables_litellm_reads(monkeypatch):
    from rubrics.llm.client import get_litellm

    litellm = get_litellm()
    for provider, names in PROVIDER_KEYS.items():
        for name in {n for ns in PROVIDER_KEYS.values() for n in ns}:
            monkeypatch.delenv(name, raising=False)
        missing = litellm.validate_environment(model=f"{provider}/some-model")["missing_keys"]
        assert set(names) & set(missing), (provider, names, missing)
        monkeypatch.setenv(names[0], "sk-test")
        after = litellm.validate_environment(model=f"{provider}/some-model")["missing_keys"]
        assert not [k for k in after if k.endswith("_KEY")], (provider, after)


def scripted(tmp_path: Path, *answers: str) -> Path:
    p = tmp_path / "answers.jsonl"
    p.write_text("".join(json.dumps({"answer": a, "question_id": QID if i == 0 else None} if i == 0 else {"answer": a})
                         + "\n" for i, a in enumerate(answers)))
    return p


def run(*args: str, data_dir: Path):
    return subprocess.run([sys.executable, "-m", "interviewer", *args, "--data-dir", str(data_dir)], cwd=ROOT,
                          capture_output=True, text=True, timeout=170, env=env(), stdin=subprocess.DEVNULL)


def test_nothing_graded_says_why_names_regrade_and_exits_non_zero(llm_server, tmp_path):
    port = closed_port()
    proc = run("start", "--count", "1", "--bank", EXAMPLE, "--answers", str(scripted(tmp_path, GOOD)),
               "--judge", "openai/test-model", "--api-base", f"http://127.0.0.1:{port}/v1", "--timeout", "2",
               data_dir=tmp_path / "d")
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = judge_notes_removed(proc.stderr)
    assert lines[0] == (f"error: 1 answer could not be graded: cannot reach the judge: connection refused by "
                        f"127.0.0.1:{port} after 4 attempts")
    assert lines[-1] == "Every answer is saved. Once the judge works, grade them with: interviewer regrade latest"
    assert "InternalServerError" not in proc.stderr and "Overall: – / 10" in proc.stdout


def test_partly_graded_says_why_but_exits_zero(llm_server, tmp_path):
    def grade_first_only(body: dict) -> Reply:
        if "sqrt(d_k)" in json.dumps(body):
            return Reply.json(verdict_for(body, "full", holistic=9))
        return Reply.error(401, "key revoked")

    llm_server.set_default(grade_first_only)
    proc = run("start", "--count", "2", "--bank", EXAMPLE, "--answers",
               str(scripted(tmp_path, GOOD, "Attention mixes the values with softmax weights.")),
               "--judge", "openai/test-model", "--api-base", llm_server.base_url, data_dir=tmp_path / "d")
    assert proc.returncode == 0, proc.stderr
    assert judge_notes_removed(proc.stderr)[0].startswith("error: 1 answer could not be graded: provider error: AuthenticationError (HTTP 401)")
    assert "interviewer regrade latest" in proc.stderr


def test_the_status_line_follows_grading_during_the_interview():
    from interviewer.judge_loader import JudgeStatus
    from rubrics.verdict import Usage, Verdict

    status = JudgeStatus("openai/x")
    assert status.line() == "judge openai/x: loading…" and status.line("zh") == "评分器 openai/x：加载中…"
    status.note_verdict(None, Verdict.ungraded("q", "cannot reach the judge: connection refused by h:1 after 4 attempts"))
    assert status.line().startswith("judge openai/x is not working: cannot reach the judge: connection refused")
    status.note_verdict(None, Verdict(question_id="q", reason="no answer"))  # an empty answer asks no judge
    assert "not working" in status.line()
    status.note_verdict(None, Verdict(question_id="q", usage=Usage(calls=1, duration_ms=1500)))
    assert status.line() == "judge openai/x: ready (1.5 s to answer)"
