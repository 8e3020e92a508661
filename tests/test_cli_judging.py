"""`interviewer grade | calibrate | regrade` and an LLM-judged `start`, as a user runs them: in a
subprocess, against the local OpenAI-compatible server, with --data-dir under tmp_path."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.llm_server import Reply, verdict_for

pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).parents[1]
EXAMPLE = str(ROOT / "question_bank" / "examples" / "custom_bank.yaml")
QID = "example-attention-scaling"
DEV = str(ROOT / "tests" / "data" / "calibration_dev.jsonl")
GOOD = ("Their dot product has variance d_k, so scores grow with the dimension. Large scores push the softmax "
        "into saturation, where the gradients vanish. Dividing by sqrt(d_k) brings the variance back to 1.")


def run(*args: str, data_dir: Path, env: dict | None = None, stdin: str | None = None):
    cmd = [sys.executable, "-m", "interviewer", *args, "--data-dir", str(data_dir)]
    full_env = {**os.environ, "INTERVIEWER_BANK": "", **(env or {})}
    full_env.pop("INTERVIEWER_JUDGE_MODEL", None)
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=100, env=full_env,
                          input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL)


def no_traceback(proc) -> None:
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr


def full_credit(body: dict) -> Reply:
    return Reply.json(verdict_for(body, "full", holistic=9))


@pytest.fixture
def answer_file(tmp_path: Path) -> Path:
    p = tmp_path / "answer.txt"
    p.write_text(GOOD, encoding="utf-8")
    return p


def test_grade_offline_json(tmp_path, answer_file):
    proc = run("grade", "-q", QID, "-a", str(answer_file), "--bank", EXAMPLE, "--json", data_dir=tmp_path)
    assert proc.returncode == 0, proc.stderr
    v = json.loads(proc.stdout)
    assert v["status"] == "graded" and v["judge"] == "offline" and v["score"] > 5


def test_grade_llm_uses_the_cache_and_no_cache_bypasses_it(llm_server, tmp_path, answer_file):
    llm_server.set_default(full_credit)
    args = ("grade", "-q", QID, "-a", str(answer_file), "--bank", EXAMPLE, "--judge", "openai/test-model",
            "--api-base", llm_server.base_url, "--json")
    first = run(*args, data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    v = json.loads(first.stdout)
    assert v["status"] == "graded" and v["model"] == "openai/test-model" and v["usage"]["cost_usd"] is None
    second = json.loads(run(*args, data_dir=tmp_path).stdout)
    assert second["usage"]["cached"] and llm_server.count == 1
    third = json.loads(run(*args, "--no-cache", data_dir=tmp_path).stdout)
    assert not third["usage"]["cached"] and llm_server.count == 2
    human = run(*args[:-1], data_dir=tmp_path)  # readable output, from the cache
    assert "score" in human.stdout and "cached" in human.stdout


def test_grade_that_stays_ungraded_exits_3_without_traceback(llm_server, tmp_path, answer_file):
    llm_server.set_default(Reply.error(401, "invalid api key"))
    proc = run("grade", "-q", QID, "-a", str(answer_file), "--bank", EXAMPLE, "--judge", "openai/test-model",
               "--api-base", llm_server.base_url, data_dir=tmp_path)
    assert proc.returncode == 3 and "ungraded" in proc.stdout and "401" in proc.stdout
    no_traceback(proc)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--judge", "gpt4"), "unknown judge 'gpt4'"),
        (("--judge", "openai/x", "--api-key-env", "NO_SUCH_KEY_VAR_XYZ"), "NO_SUCH_KEY_VAR_XYZ"),
        (("--judge", "openai/x", "--router-config", "/nonexistent/router.yaml"), "cannot read"),
    ],
)
def test_judge_option_errors_are_one_line(tmp_path, answer_file, args, needle):
    proc = run("grade", "-q", QID, "-a", str(answer_file), "--bank", EXAMPLE, *args, data_dir=tmp_path)
    assert proc.returncode == 1
    no_traceback(proc)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0]


def test_router_config(llm_server, tmp_path, answer_file):
    llm_server.set_default(full_credit)
    cfg = tmp_path / "router.yaml"
    cfg.write_text(
        "model_list:\n"
        "  - model_name: grader\n"
        "    litellm_params: {model: openai/test-model, api_base: '%s', api_key: sk-test}\n" % llm_server.base_url
    )
    proc = run("grade", "-q", QID, "-a", str(answer_file), "--bank", EXAMPLE, "--router-config", str(cfg),
               "--json", data_dir=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["model"] == "grader" and llm_server.count == 1


def test_calibrate_offline_with_bad_lines_and_csv(tmp_path):
    src = tmp_path / "cal.jsonl"
    src.write_text(Path(DEV).read_text(encoding="utf-8") + "{broken\n", encoding="utf-8")
    out = tmp_path / "items.csv"
    proc = run("calibrate", str(src), "--judge", "offline", "--json", "--out", str(out), data_dir=tmp_path)
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout)
    n_dev = len(Path(DEV).read_text(encoding="utf-8").splitlines())
    assert res["metrics"]["n"] == n_dev and res["skipped_lines"] == 1
    assert f"line {n_dev + 1}: invalid JSON" in proc.stderr
    for key in ("pearson", "spearman", "qwk", "exact", "adjacent", "mae", "smd"):
        assert key in res["metrics"]
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == n_dev and set(rows[0]) == {"id", "score", "max_score", "predicted", "status"}
    table = run("calibrate", str(src), "--judge", "offline", data_dir=tmp_path)
    assert "quadratic weighted kappa" in table.stdout


def test_calibrate_with_an_llm_judge(llm_server, tmp_path):
    llm_server.set_default(lambda body: Reply.json(verdict_for(body, "partial", holistic=5)))
    proc = run("calibrate", DEV, "--judge", "openai/test-model", "--api-base", llm_server.base_url,
               "--concurrency", "8", "--no-cache", "--json", data_dir=tmp_path)
    assert proc.returncode == 0, proc.stderr
    m = json.loads(proc.stdout)["metrics"]
    assert m["n"] >= 40 and m["ungraded"] == 0 and llm_server.count >= 40


def test_start_with_an_llm_judge_then_regrade_the_failures(llm_server, tmp_path):
    """The issue's "done when": a whole interview graded by an OpenAI-compatible local server; the
    answers whose grading failed are then regraded, with nothing lost."""
    answers = tmp_path / "answers.jsonl"
    answers.write_text("\n".join(json.dumps(x) for x in [
        {"answer": GOOD, "question_id": QID, "seconds": 30},
        {"answer": "Attention lets each token look at the others with learned weights.", "seconds": 20},
    ]) + "\n")
    # healthy provider: everything graded by the LLM judge
    llm_server.set_default(full_credit)
    ok = run("start", "--count", "2", "--seed", "3", "--bank", EXAMPLE, "--answers", str(answers),
             "--judge", "openai/test-model", "--api-base", llm_server.base_url, data_dir=tmp_path / "a")
    assert ok.returncode == 0, ok.stderr
    no_traceback(ok)
    assert llm_server.count >= 1
    # broken provider: the answers are kept, ungraded, and regraded later
    llm_server.reset()
    llm_server.set_default(Reply.error(401, "key revoked"))
    bad = run("start", "--count", "2", "--seed", "3", "--bank", EXAMPLE, "--answers", str(answers),
              "--judge", "openai/test-model", "--api-base", llm_server.base_url, data_dir=tmp_path / "b")
    no_traceback(bad)
    llm_server.set_default(full_credit)
    again = run("regrade", "latest", "--judge", "openai/test-model", "--api-base", llm_server.base_url, "--json",
                data_dir=tmp_path / "b")
    assert again.returncode == 0, again.stderr
    rows = json.loads(again.stdout)["regraded"]
    assert rows and all(r["status"] == "graded" for r in rows)
    # the saved reports are written again, not left saying "– / 10, 2 ungraded"
    reports = json.loads(again.stdout)["reports"]
    assert sorted(Path(p).suffix for p in reports) == [".html", ".json", ".md"]
    saved = json.loads(Path(next(p for p in reports if p.endswith(".json"))).read_text(encoding="utf-8"))
    assert saved["ungraded"] == 0 and saved["graded"] == 2 and saved["overall_score"] is not None
    assert "ungraded" not in Path(next(p for p in reports if p.endswith(".md"))).read_text(encoding="utf-8").split("##")[0]
    nothing = run("regrade", "latest", data_dir=tmp_path / "b")
    assert nothing.returncode == 0 and "nothing to regrade" in nothing.stdout


def test_help_does_not_import_litellm():
    code = ("import sys\nfrom interviewer.cli import app\nfrom typer.testing import CliRunner\n"
            "r = CliRunner().invoke(app, ['--help'])\nassert r.exit_code == 0\n"
            "for args in (['calibrate', '--help'], ['judge', 'check', '--help'], ['setup', '--help']):\n"
            "    r = CliRunner().invoke(app, args)\n    assert r.exit_code == 0, r.output\n"
            "assert 'litellm' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)
