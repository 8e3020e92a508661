"""The HTML report in a real browser: headless Chromium loads it from disk, every section and
question card is in the DOM, nothing is fetched, a question's thread of follow-ups lays out inside
its card without pushing the page sideways on a desktop or a phone, and a screenshot is kept as a
test artefact (tests/artifacts/report.png). Fails (not skips) on CI when Chromium is missing."""

from __future__ import annotations

import html as htmllib
import json
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
    # the thread of question 2: its follow-ups in order, each with its score, inside the card
    card = html[html.index('id="q2"'):html.index('id="q3"')]
    assert card.index('id="q2-f1"') < card.index('id="q2-f2"') and "5.0<small>/10" in card
    assert '<mark class="ev full" data-kp="1">latency grows</mark>' in card

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    res = run_chromium(exe, tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1100,4000",
                       "--hide-scrollbars", url)
    assert res.returncode == 0, res.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


#: Measures the laid-out page from inside a test copy of it (the report itself has no script).
LAYOUT_PROBE = """<script>
addEventListener("load", () => {
  const page = document.documentElement, box = (e) => e.getBoundingClientRect();
  const turns = [...document.querySelectorAll(".turn")].map((t) => {
    const r = box(t), card = box(t.closest("article")), pre = t.querySelector("pre");
    return {left: r.left - card.left, right: card.right - r.right, height: r.height,
            pre: pre ? [pre.scrollWidth, pre.clientWidth] : null};
  });
  document.body.setAttribute("data-layout", JSON.stringify({scroll: page.scrollWidth, width: innerWidth, turns}));
});
</script>"""


@pytest.mark.parametrize("width", [1100, 420])
def test_the_thread_of_follow_ups_lays_out_inside_its_card(tmp_path, width):
    exe = chromium()
    s, answers = session_and_answers()
    page = tmp_path / "probe.html"
    page.write_text(render(build_report(s, answers, bank()), "html").replace("</body>", LAYOUT_PROBE + "</body>"),
                    encoding="utf-8")
    dom = run_chromium(exe, tmp_path / "profile", f"--window-size={width},900", "--dump-dom", page.resolve().as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    layout = json.loads(htmllib.unescape(re.search(r'data-layout="([^"]*)"', dom.stdout).group(1)))
    assert layout["scroll"] <= layout["width"], layout  # nothing pushes the page sideways
    assert len(layout["turns"]) == 2
    for turn in layout["turns"]:
        assert turn["left"] > 0 and turn["right"] >= 0 and turn["height"] > 40, turn  # indented, inside the card
        if turn["pre"]:
            assert turn["pre"][0] <= turn["pre"][1], turn  # the answer wraps instead of scrolling sideways
