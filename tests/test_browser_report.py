"""The HTML report in a real browser: headless Chromium loads it from disk, every section and
question card is in the DOM, nothing is fetched, and a screenshot is kept as a test artefact
(tests/artifacts/report.png). Fails (not skips) on CI when Chromium is missing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from reports.report import History, build_report, render
from tests.history_helpers import history
from tests.test_report import bank, session_and_answers

ARTIFACTS = Path(__file__).parent / "artifacts"
SECTIONS = ("overview", "topics", "difficulty", "time", "progress", "coverage", "study-next", "questions", "flagged", "judge")


def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe:
        return exe
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true but chromium is not installed; .ci/run installs Debian's chromium")
    pytest.skip("chromium is not installed (apt-get install chromium)")


def run_chromium(exe: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_report_renders_in_headless_chromium(tmp_path):
    exe = chromium()
    past_sessions, past_answers = history([[("attn-00", 2.0), ("rag-00", 6.0)], [("rag-01", 7.0), ("attn-01", 3.0)]])
    s, answers = session_and_answers(past_sessions[-1].created_at + timedelta(days=1))
    report = build_report(s, answers, bank(), history=History([*past_sessions, s], [*past_answers, *answers]))
    page = tmp_path / "report.html"
    page.write_text(render(report, "html"), encoding="utf-8")
    url = page.resolve().as_uri()

    dom = run_chromium(exe, tmp_path / "profile-dom", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert "<title>" in html and "</main>" in html, "the page did not load"
    for section in SECTIONS:
        assert f'id="{section}"' in html, section
    cards = re.findall(r'<article class="card question" id="q(\d+)"', html)
    assert cards == [str(i) for i in range(1, len(report.questions) + 1)]
    assert html.count('<svg class="chart"') == 4  # topic, difficulty, trend, coverage
    assert "<script" not in html.lower()  # the hostile answer stayed text
    assert "&lt;script&gt;" in html
    assert not re.search(r'(src|href)="(https?:)?//', html), "the report must not fetch anything"
    assert "ERR_" not in dom.stderr and "Uncaught" not in dom.stderr

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    res = run_chromium(exe, tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1100,4000",
                       "--hide-scrollbars", url)
    assert res.returncode == 0, res.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
