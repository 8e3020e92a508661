"""`interviewer setup`: detection of keys (by name), Ollama and OpenAI-compatible servers, the
check of the chosen judge and the config file it writes. The "servers" are the local scripted
test server; nothing on the network is probed."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from interviewer import detect
from interviewer.cmd_setup import OFFLINE_LIMITS
from tests.llm_server import gullible, offline_like

pytestmark = pytest.mark.timeout(180)
ROOT = Path(__file__).parents[1]
SECRET = "sk-live-do-not-print-4242"


def closed_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def run(*args: str, tmp_path: Path, env: dict | None = None, stdin=subprocess.DEVNULL):  # noqa: ANN001
    full_env = {k: v for k, v in os.environ.items() if k not in detect.PROVIDER_KEYS}
    full_env.update({"INTERVIEWER_BANK": "", "INTERVIEWER_CONFIG": str(tmp_path / "config.toml"), **(env or {})})
    full_env.pop("INTERVIEWER_JUDGE_MODEL", None)
    cmd = [sys.executable, "-m", "interviewer", *args, "--data-dir", str(tmp_path / "data")]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=170, env=full_env, stdin=stdin)


def servers(llm_server) -> tuple[str, ...]:  # noqa: ANN001
    return ("--server", llm_server.base_url, "--ollama", llm_server.base_url.removesuffix("/v1"))


def test_setup_finds_servers_and_keys_checks_one_and_writes_config(llm_server, tmp_path):
    llm_server.set_default(offline_like())
    llm_server.ollama_models = ["qwen2.5:0.5b", "nomic-embed-text"]
    proc = run("setup", "--yes", *servers(llm_server), tmp_path=tmp_path, env={"DEEPSEEK_API_KEY": SECRET})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    out = proc.stdout
    assert f"1. openai/test-model  (OpenAI-compatible server at {llm_server.base_url})" in out
    assert "ollama_chat/qwen2.5:0.5b" in out and "nomic-embed-text" not in out
    assert "deepseek/deepseek-chat  (DEEPSEEK_API_KEY is set)" in out
    assert "TRUSTED" in out and llm_server.count >= 60
    cfg = tomllib.loads((tmp_path / "config.toml").read_text(encoding="utf-8"))
    assert cfg == {"judge": {"model": "openai/test-model", "api_base": llm_server.base_url}}
    everything = out + proc.stderr + "".join(p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file())
    assert SECRET not in everything  # the key is named, never printed or stored
    # the configured judge is used, and known to be checked: neither the hint nor a warning
    answers = tmp_path / "answers.jsonl"
    answers.write_text(json.dumps({"answer": "Softmax of scaled dot products."}) + "\n")
    start = run("start", "--count", "1", "--answers", str(answers), tmp_path=tmp_path)
    assert start.returncode == 0, start.stderr[-2000:]
    assert "interviewer setup" not in start.stderr and "check" not in start.stderr
    report = json.loads(run("report", "latest", "--format", "json", "--output", "-", tmp_path=tmp_path).stdout)
    assert report["settings"]["judge"] == "openai/test-model" and report["judge_check"]["trusted"]


def test_setup_keeps_the_config_when_the_chosen_judge_is_not_trusted(llm_server, tmp_path):
    llm_server.set_default(gullible)
    proc = run("setup", "--choose", "1", "--limit", "10", *servers(llm_server), tmp_path=tmp_path)
    assert proc.returncode == 4, proc.stderr[-2000:]
    assert "NOT TRUSTED" in proc.stdout and "as it was" in proc.stdout
    assert not (tmp_path / "config.toml").exists()


def test_setup_without_any_judge_explains_the_offline_judge(tmp_path):
    proc = run("setup", "--yes", "--server", closed_url() + "/v1", "--ollama", closed_url(), tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Found none." in proc.stdout
    assert all(line in proc.stdout for line in OFFLINE_LIMITS)
    assert tomllib.loads((tmp_path / "config.toml").read_text())["judge"]["model"] == "offline"


@pytest.mark.parametrize(("args", "needle"), [((), "--yes"), (("--choose", "7"), "--choose 7")])
def test_setup_errors_are_one_line(llm_server, tmp_path, args, needle):
    proc = run("setup", *args, *servers(llm_server), tmp_path=tmp_path)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 1 and len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0]


def test_detection_units(llm_server):
    assert [c.api_key_env for c in detect.key_candidates({"OPENAI_API_KEY": "x", "GROQ_API_KEY": " "})] == ["OPENAI_API_KEY"]
    assert detect.ollama_candidates(closed_url()) == [] and detect.openai_server_candidates(closed_url() + "/v1") == []
    assert detect.ollama_candidates(llm_server.base_url.removesuffix("/v1")) == []  # not an Ollama (404)
    llm_server.models = ["a", "text-embedding-3-small", "b"]
    found = detect.openai_server_candidates(llm_server.base_url + "/")
    assert [(c.model, c.api_base) for c in found] == [("openai/a", llm_server.base_url), ("openai/b", llm_server.base_url)]


def test_saving_the_judge_keeps_other_settings_and_a_backup(tmp_path, monkeypatch):
    from interviewer.config import load_config, save_judge_config

    path = tmp_path / "config.toml"
    path.write_text('[judge]\nmodel = "openai/old"\napi_base = "http://old/v1"\ntimeout = 30\nconcurrency = 4\n')
    monkeypatch.setenv("INTERVIEWER_CONFIG", str(path))
    save_judge_config("ollama_chat/qwen2.5", "http://127.0.0.1:11434", None)
    cfg = load_config().judge
    assert (cfg.model, cfg.api_base, cfg.api_key_env, cfg.timeout, cfg.concurrency) == (
        "ollama_chat/qwen2.5", "http://127.0.0.1:11434", None, 30, 4)
    assert "openai/old" in (tmp_path / "config.toml.bak").read_text()
    save_judge_config('we"ird\\model', None, "MY_KEY")
    assert load_config().judge.model == 'we"ird\\model' and load_config().judge.api_key_env == "MY_KEY"
