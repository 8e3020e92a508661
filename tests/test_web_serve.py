"""``interviewer serve`` as a real process: it answers on / and its start page renders in headless
Chromium with a way to start an interview; SIGTERM stops it cleanly and the data dir reads
afterwards; a server killed mid-answer loses at most the last few seconds (the draft is there for
`interviewer resume`, which finishes the interview in the terminal)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from interviewer.store import Store
from tests.web_helpers import ROOT, browser, serving, wait_for


def interviewer(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "interviewer", *args, "--data-dir", str(data_dir)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def test_serve_answers_renders_its_start_page_and_stops_on_sigterm(tmp_path: Path):
    data = tmp_path / "data"
    with serving(data) as server:
        status, body, headers = server.request("/")
        assert status == 200 and 'id="start-form"' in body
        assert headers["content-security-policy"].startswith("default-src 'none'")
        with browser(1280) as driver:
            driver.get(server.origin + "/")
            form = driver.find_element("id", "start-form")
            assert form.get_attribute("method") == "post" and form.get_attribute("action").endswith("/start")
            button = driver.find_element("id", "start")
            assert button.is_displayed() and button.is_enabled()
            assert len(driver.find_elements("css selector", "input[name=topic]")) > 10  # the bank's topics
            assert driver.execute_script("return getComputedStyle(document.body).backgroundColor") != "rgba(0, 0, 0, 0)"
            logs = driver.get_log("browser") if hasattr(driver, "get_log") else []
            assert not [entry for entry in logs if entry.get("level") == "SEVERE"], logs  # no CSP violation, no 404
        sid = server.start(count=1, minutes=5, follow_ups=0, judge="offline")
        wait_for(lambda: server.state(sid)["turn"]["key"] == "0.0", message="the first question")
        assert server.stop(signal.SIGTERM) == 0
        out = server.proc.stdout.read()
        assert "Stopped." in out
    # the data dir reads afterwards, from the terminal
    history = interviewer("history", "--json", data_dir=data)
    assert history.returncode == 0, history.stderr
    rows = json.loads(history.stdout)
    assert [r["session_id"] for r in rows] == [sid] and rows[0]["status"] == "active"  # paused, for resume


def test_a_killed_server_loses_at_most_the_last_seconds_and_resume_finishes_in_the_terminal(tmp_path: Path):
    data = tmp_path / "data"
    with serving(data) as server:
        sid = server.start(count=2, minutes=10, follow_ups=0, judge="offline")
        wait_for(lambda: server.state(sid)["turn"]["key"] == "0.0", message="the first question")
        status, body, _ = server.request(f"/api/s/{sid}/reply", {"key": "0.0", "text": "attention first", "action": "submit"})
        assert status == 200, body
        wait_for(lambda: server.state(sid)["turn"]["key"] == "1.0", message="the second question")
        status, body, _ = server.request(f"/api/s/{sid}/draft", {"key": "1.0", "text": "typed before the crash"})
        assert status == 200, body  # the page is told only once it is on disk
        server.stop(signal.SIGKILL)
    store = Store.open(data)
    try:
        assert store.get_draft(sid, 1)[0] == "typed before the crash"
        assert [a.answer for a in store.answers(sid)] == ["attention first"]
        assert store.get_session("latest-active").id == sid
    finally:
        store.close()
    answers = tmp_path / "answers.jsonl"
    lines = [{"answer": "(answered in the browser)"}, {"answer": "finished in the terminal"}]  # one per position
    answers.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    resumed = interviewer("resume", sid, "--answers", str(answers), data_dir=data)
    assert resumed.returncode == 0, resumed.stderr
    store = Store.open(data)
    try:
        assert store.get_session(sid).status == "finished"
        assert [a.answer for a in store.answers(sid)] == ["attention first", "finished in the terminal"]
    finally:
        store.close()


def test_serve_refuses_a_port_in_use_in_one_line(tmp_path: Path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = subprocess.run([sys.executable, "-m", "interviewer", "serve", "--port", str(port), "--data-dir",
                            str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1
    assert r.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}") and len(r.stderr.splitlines()) == 1


def test_serve_beyond_localhost_warns_and_prints_a_token_url(tmp_path: Path):
    with serving(tmp_path / "data", "--host", "0.0.0.0") as server:  # noqa: S104
        assert "?token=" in server.url
        status, body, _ = server.request("/history")
        assert status in (403, 421) or "token" in body
        token = server.url.split("token=")[1]
        status, _, headers = server.request(f"/history?token={token}")
        assert status == 303 and "set-cookie" in {k.lower() for k in headers}
        assert server.stop() == 0
        assert "warning: listening on 0.0.0.0" in server.proc.stderr.read()
