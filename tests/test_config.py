"""The user config file: judge defaults, precedence, and one-line errors for a bad file."""

from __future__ import annotations

import json

from tests.test_cli_judging import EXAMPLE, GOOD, QID, full_credit, no_traceback, run


def _config(tmp_path, text: str):
    p = tmp_path / "config.toml"
    p.write_text(text, encoding="utf-8")
    return {"INTERVIEWER_CONFIG": str(p)}


def test_config_file_selects_and_reaches_the_llm_judge(llm_server, tmp_path):
    llm_server.set_default(full_credit)
    env = _config(tmp_path, f'[judge]\nmodel = "openai/test-model"\napi_base = "{llm_server.base_url}"\ntimeout = 5\n')
    ans = tmp_path / "a.txt"
    ans.write_text(GOOD, encoding="utf-8")
    proc = run("grade", "-q", QID, "-a", str(ans), "--bank", EXAMPLE, "--json", data_dir=tmp_path / "d", env=env)
    assert proc.returncode == 0, proc.stderr
    v = json.loads(proc.stdout)
    assert v["model"] == "openai/test-model" and v["status"] == "graded"
    assert llm_server.count >= 1


def test_command_line_judge_overrides_the_config(llm_server, tmp_path):
    env = _config(tmp_path, f'[judge]\nmodel = "openai/test-model"\napi_base = "{llm_server.base_url}"\n')
    ans = tmp_path / "a.txt"
    ans.write_text(GOOD, encoding="utf-8")
    proc = run("grade", "-q", QID, "-a", str(ans), "--bank", EXAMPLE, "--judge", "offline", "--json",
               data_dir=tmp_path / "d", env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["judge"] == "offline"
    assert llm_server.count == 0


def test_session_remembers_its_judge_endpoint(llm_server, tmp_path):
    llm_server.set_default(full_credit)
    answers = tmp_path / "answers.jsonl"
    answers.write_text(json.dumps({"answer": GOOD, "question_id": QID}) + "\n", encoding="utf-8")
    proc = run("start", "--count", "1", "--answers", str(answers), "--bank", EXAMPLE, "--judge", "openai/test-model",
               "--api-base", llm_server.base_url, data_dir=tmp_path / "d")
    assert proc.returncode == 0, proc.stderr
    rep = json.loads(run("report", "latest", "--format", "json", "--output", "-", data_dir=tmp_path / "d").stdout)
    assert rep["settings"]["judge"] == "openai/test-model"
    assert rep["settings"]["api_base"] == llm_server.base_url
    before = llm_server.count
    # regrade without --api-base must go back to the same local server, not to a provider's default endpoint
    proc = run("regrade", "latest", "--all", "--no-cache", "--json", data_dir=tmp_path / "d")
    assert proc.returncode == 0, proc.stderr
    assert llm_server.count > before


def test_invalid_config_is_a_one_line_error(tmp_path):
    for text, expected in (("[judge\nmodel = 1", "invalid TOML"), ("[judge]\nmodle = 'x'\n", "judge.modle: Extra inputs"),
                           ("[judge]\nsamples = 0\n", "judge.samples")):
        env = _config(tmp_path, text)
        (tmp_path / "x.txt").write_text(GOOD, encoding="utf-8")
        proc = run("grade", "-q", QID, "-a", str(tmp_path / "x.txt"), "--bank", EXAMPLE, data_dir=tmp_path / "d", env=env)
        no_traceback(proc)
        assert proc.returncode == 1
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "config.toml" in lines[0] and expected in lines[0], proc.stderr
