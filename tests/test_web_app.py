"""The web app in process (Starlette's test client, the real engine on its threads, a real store):
the guard (Host, Origin, token), escaping of hostile bank and answer text, two tabs submitting the
same turn, drafts and replies going through the session engine, and sessions crossing between the
terminal and the browser."""

from __future__ import annotations

import html
import re
import threading
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from interviewer.session import create_session
from interviewer.store import Store
from interviewer.web.app import create_app
from reports.records import SessionSettings
from tests.web_helpers import wait_for

PORT = 8765
ORIGIN = f"http://127.0.0.1:{PORT}"
HOSTILE_BANK = """\
topic: hostile
questions:
  - id: hostile-xss
    difficulty: easy
    text: {en: "Why <script>alert('bank')</script> and <img src=x onerror=alert(2)>?", zh: "为什么 <script>alert('bank')</script>？"}
    reference_answer: {en: "Because attention <b>matters</b>.", zh: "因为注意力 <b>重要</b>。"}
    rubric:
      key_points:
        - id: p1
          text: {en: "attention <i>matters</i>", zh: "注意力"}
          keywords: {en: ["attention"], zh: ["注意力"]}
    follow_ups:
      - id: f1
        level: mechanism
        text: {en: "And <script>alert('follow')</script> then?", zh: "那么 <script>alert('follow')</script> 呢？"}
        reference_answer: {en: "attention again", zh: "还是注意力"}
        rubric:
          key_points:
            - id: q1
              text: {en: "attention"}
              keywords: {en: ["attention"]}
"""


@pytest.fixture
def hostile_bank(tmp_path: Path) -> Path:
    path = tmp_path / "banks" / "hostile.yaml"
    path.parent.mkdir()
    path.write_text(HOSTILE_BANK, encoding="utf-8")
    return path


@pytest.fixture
def app(tmp_path: Path, hostile_bank: Path):
    """(client, web, store): the app on a fresh data dir, as a page on 127.0.0.1 talks to it."""
    store = Store.open(tmp_path / "data")
    asgi, web = create_app(store, port=PORT, extra_banks=[hostile_bank])
    with TestClient(asgi, base_url=ORIGIN, follow_redirects=False) as client:
        yield client, web, store
    web.sessions.shutdown()
    store.close()


def post(client: TestClient, path: str, **kw):  # noqa: ANN003, ANN201
    """A POST as this app's own pages send it."""
    headers = {"Origin": ORIGIN, **kw.pop("headers", {})}
    return client.post(path, headers=headers, **kw)


def start(client: TestClient, **form: object) -> str:
    fields = {"topic": "hostile", "count": "1", "minutes": "5", "follow_ups": "1", "lang": "en", "judge": "offline"}
    fields.update({k: str(v) for k, v in form.items()})
    r = post(client, "/start", data=fields)
    assert r.status_code == 303, r.text
    return r.headers["location"].rsplit("/", 1)[-1]


def open_turn(client: TestClient, sid: str, key: str) -> dict:
    """The state once turn ``key`` is open (the engine asks on its own thread)."""
    return wait_for(lambda: (lambda s: s if s["turn"]["key"] == key else None)(client.get(f"/api/s/{sid}/state").json()),
                    message=f"turn {key}")


# -- the guard -------------------------------------------------------------------------------------

def test_a_cross_site_post_is_refused_and_nothing_starts(app):
    client, _, store = app
    form = {"topic": "hostile", "count": "1"}
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"}, {},
                    {"Origin": ORIGIN, "Sec-Fetch-Site": "cross-site"},
                    {"Origin": f"http://localhost:{PORT + 1}"}, {"Referer": "http://evil.example/page"}):
        r = client.post("/start", data=form, headers=headers)
        assert r.status_code == 403, headers
        assert "Cross-site request refused" in r.text
    assert store.list_sessions() == []
    r = client.post("/start", data=form, headers={"Referer": ORIGIN + "/"})  # a same-origin Referer is enough
    assert r.status_code == 303


def test_a_foreign_host_is_refused_dns_rebinding(app):
    client, _, _ = app
    r = client.get("/", headers={"Host": f"attacker.example:{PORT}"})
    assert r.status_code == 421 and "only as" in r.text
    r = client.post("/start", data={"count": "1"}, headers={"Host": "attacker.example", "Origin": "http://attacker.example"})
    assert r.status_code == 421
    for host in (f"127.0.0.1:{PORT}", f"localhost:{PORT}"):
        assert client.get("/", headers={"Host": host}).status_code == 200


def test_pages_carry_a_strict_content_security_policy(app):
    client, _, _ = app
    r = client.get("/")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in r.text.lower()  # no inline script anywhere (the CSP would block it)


def test_beyond_localhost_every_request_needs_the_token(tmp_path: Path):
    store = Store.open(tmp_path / "data")
    asgi, web = create_app(store, port=PORT, host="0.0.0.0", token="s3cret-token")  # noqa: S104
    try:
        with TestClient(asgi, base_url=f"http://192.0.2.10:{PORT}", follow_redirects=False) as client:
            r = client.get("/")
            assert r.status_code == 403 and "token" in r.text
            assert client.get("/?token=wrong").status_code == 403
            r = client.get("/history?token=s3cret-token")
            assert r.status_code == 303 and r.headers["location"] == "/history"
            cookie = r.headers["set-cookie"]
            assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
            assert client.get("/history").status_code == 200  # the cookie carries it now
            # the token does not excuse a cross-site submission
            r = client.post("/start", data={"count": "1"}, headers={"Origin": "http://evil.example"})
            assert r.status_code == 403
            client.cookies.clear()
            assert client.get("/history").status_code == 403
    finally:
        web.sessions.shutdown()
        store.close()


# -- escaping --------------------------------------------------------------------------------------

def test_hostile_bank_and_answer_text_is_escaped_everywhere(app):
    client, _, store = app
    sid = start(client)
    open_turn(client, sid, "0.0")
    page = client.get(f"/s/{sid}").text
    assert "<script>alert('bank')" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#39;bank&#39;)&lt;/script&gt;" in page
    # a draft that tries to close the editor and run a script stays text inside the editor
    draft = "attention </textarea><script>alert('draft')</script>"
    r = post(client, f"/api/s/{sid}/draft", json={"key": "0.0", "text": draft})
    assert r.status_code == 200, r.text
    page = client.get(f"/s/{sid}").text
    assert "</textarea><script>" not in page and "&lt;/textarea&gt;&lt;script&gt;alert(&#39;draft&#39;)" in page
    answer = "attention matters <script>alert('answer')</script> <img src=x onerror=alert(3)>"
    r = post(client, f"/api/s/{sid}/reply", json={"key": "0.0", "text": answer, "action": "submit"})
    assert r.status_code == 200 and r.json()["ended"] == "submitted"
    open_turn(client, sid, "0.1")  # the follow-up shows the thread: the answer as text
    page = client.get(f"/s/{sid}").text
    assert "<script>alert(" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#39;answer&#39;)" in page and "&lt;script&gt;alert(&#39;follow&#39;)" in page
    r = post(client, f"/api/s/{sid}/reply", json={"key": "0.1", "text": "attention <b>again</b>", "action": "submit"})
    assert r.status_code == 200
    wait_for(lambda: client.get(f"/api/s/{sid}/state").json()["status"] == "finished", message="finished")
    for path in (f"/s/{sid}", f"/s/{sid}/report", "/history", "/progress"):
        text = client.get(path).text
        assert not re.search(r"<script>alert|<img src=x|<b>again|<b>matters", text), path
    report = client.get(f"/s/{sid}/report")
    assert "&lt;script&gt;alert(&#39;answer&#39;)" in report.text
    assert report.headers["content-security-policy"].startswith("default-src 'none'")
    assert "script-src" not in report.headers["content-security-policy"]  # the report runs no script at all
    assert store.answers(sid)[0].answer == answer  # stored exactly as typed


# -- one engine per session ------------------------------------------------------------------------

def test_two_tabs_submitting_the_same_turn_store_one_answer(app):
    client, web, store = app
    sid = start(client, follow_ups=0)
    open_turn(client, sid, "0.0")
    results: list = []

    def tab(text: str) -> None:
        with TestClient(client.app, base_url=ORIGIN) as other:  # a second tab: its own connection
            results.append(post(other, f"/api/s/{sid}/reply", json={"key": "0.0", "text": text, "action": "submit"}))

    threads = [threading.Thread(target=tab, args=(f"attention from tab {i}",)) for i in (1, 2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert sorted(r.status_code for r in results) == [200, 200], [r.text for r in results]
    assert sorted(r.json()["duplicate"] for r in results) == [False, True]
    answers = store.answers(sid)
    assert len(answers) == 1 and answers[0].answer in ("attention from tab 1", "attention from tab 2")
    # a retried request (a tab that did not hear back) is recognised too
    r = post(client, f"/api/s/{sid}/reply", json={"key": "0.0", "text": "other text", "action": "submit"})
    assert r.status_code == 200 and r.json()["duplicate"] is True
    wait_for(lambda: client.get(f"/api/s/{sid}/state").json()["status"] == "finished", message="finished")
    assert len(store.answers(sid)) == 1
    # continuing a session twice starts one engine: the same one
    assert web.sessions.get(sid) is not None


def test_a_stale_tab_cannot_answer_another_turn(app):
    client, _, store = app
    sid = start(client, follow_ups=0)
    open_turn(client, sid, "0.0")
    r = post(client, f"/api/s/{sid}/reply", json={"key": "3.0", "text": "x", "action": "submit"})
    assert r.status_code == 409 and r.json()["closed"] is True
    r = post(client, f"/api/s/{sid}/draft", json={"key": "1.2", "text": "x"})
    assert r.status_code == 409
    r = post(client, f"/api/s/{sid}/reply", json={"key": "0.0", "text": "x", "action": "explode"})
    assert r.status_code == 400 and "unknown action" in r.json()["error"]
    r = post(client, f"/api/s/{sid}/draft", content=b"not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "not JSON" in r.json()["error"]
    assert store.answers(sid) == []


# -- the same session model as the terminal ----------------------------------------------------------

def test_drafts_and_pause_go_to_the_store_and_continue_where_they_stopped(app):
    client, web, store = app
    sid = start(client, follow_ups=0)
    open_turn(client, sid, "0.0")
    assert post(client, f"/api/s/{sid}/draft", json={"key": "0.0", "text": "attention is"}).status_code == 200
    assert store.get_draft(sid, 0)[0] == "attention is"  # on disk, where `interviewer resume` finds it
    r = post(client, f"/api/s/{sid}/reply", json={"key": "0.0", "text": "attention is all", "action": "pause"})
    assert r.status_code == 200 and r.json()["ended"] == "paused"
    wait_for(lambda: client.get(f"/api/s/{sid}/state").json()["status"] == "paused", message="paused")
    assert store.get_draft(sid, 0)[0] == "attention is all" and store.answers(sid) == []
    page = client.get(f"/s/{sid}").text
    assert f"interviewer resume {sid}" in page and 'id="continue"' in page
    assert post(client, f"/s/{sid}/continue").status_code == 303
    state = open_turn(client, sid, "0.0")
    assert state["turn"]["text"] == "attention is all"
    assert "attention is all</textarea>" in client.get(f"/s/{sid}").text


def test_a_session_paused_in_the_terminal_continues_in_the_browser(app):
    client, web, store = app
    bank = web.banks.default()
    settings = SessionSettings(count=1, minutes=4.0, lang="zh", follow_ups=0, banks=[str(p) for p in web.extra_banks])
    session = create_session(store, settings, ["hostile-xss"])
    store.save_draft(session.id, 0, "终端里写的注意力", 30.0)  # what Ctrl-C in the terminal leaves
    store.update_elapsed(session.id, 30.0)
    page = client.get(f"/s/{session.id}").text
    assert "已暂停" in page and 'id="continue"' in page  # a Chinese interview speaks Chinese
    assert post(client, f"/s/{session.id}/continue").status_code == 303
    state = open_turn(client, session.id, "0.0")
    assert state["turn"]["text"] == "终端里写的注意力"
    assert state["turn"]["question_left"] <= 4 * 60 - 30 + 1  # the time already spent is not given back
    page = client.get(f"/s/{session.id}").text
    assert "第 1/1 题" in page and "提交" in page
    assert bank.get("hostile-xss").text.zh.split("<")[0] in page


def test_bad_start_input_is_one_clear_line_on_the_page(app):
    client, _, store = app
    for form, says in (({"count": "0"}, "Questions must be between 1 and 50"),
                       ({"count": "many"}, "Questions must be a whole number"),
                       ({"lang": "fr"}, "--lang 'fr' is not supported"),
                       ({"judge": "openai/gpt-4o"}, "choose one of the judges offered"),
                       ({"topic": "no-such-topic"}, "no-such-topic")):
        r = post(client, "/start", data={"count": "1", **form})
        assert r.status_code == 400, form
        assert says in html.unescape(r.text), (form, r.text[-800:])
        assert "Traceback" not in r.text
    assert store.list_sessions() == []
    r = client.get("/s/no-such-session")
    assert r.status_code == 404 and "no session" in r.text


def test_the_web_stack_stays_off_help_and_the_terminal_interview():
    """`interviewer --help`, `serve --help` and the terminal's path to its first question import
    neither the web stack nor litellm nor pandas."""
    import subprocess
    import sys

    code = ("import sys\nfrom typer.testing import CliRunner\nfrom interviewer.cli import app\n"
            "for args in (['--help'], ['serve', '--help'], ['start', '--help']):\n"
            "    r = CliRunner().invoke(app, args)\n    assert r.exit_code == 0, r.output\n"
            "import interviewer.run, interviewer.tui, interviewer.session\n"
            "heavy = [m for m in ('starlette', 'uvicorn', 'litellm', 'pandas', 'interviewer.web.app') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1], check=True, timeout=120)


def test_a_drill_starts_from_the_history_with_the_same_engine(app):
    client, _, store = app
    r = client.get("/drill")
    assert r.status_code == 200 and "no graded answers yet" in r.text  # nothing to drill from yet
    sid = start(client, follow_ups=0)
    open_turn(client, sid, "0.0")
    post(client, f"/api/s/{sid}/reply", json={"key": "0.0", "text": "no idea", "action": "submit"})
    wait_for(lambda: client.get(f"/api/s/{sid}/state").json()["status"] == "finished", message="finished")
    page = client.get("/drill?topic=hostile").text
    assert "missed key point" in html.unescape(page)  # why the drill chose it
    r = post(client, "/drill", data={"topic": "hostile", "count": "1", "follow_ups": "0", "lang": "en", "judge": "offline"})
    assert r.status_code == 303, r.text
    drill = r.headers["location"].rsplit("/", 1)[-1]
    open_turn(client, drill, "0.0")
    session = store.get_session(drill)
    assert session.settings.mode == "drill" and session.plan == ["hostile-xss"] and session.reasons
    # a finished interview's page does not reload itself: its state and the page agree
    state = client.get(f"/api/s/{sid}/state").json()
    version = re.search(r'data-version="(\d+)"', client.get(f"/s/{sid}").text).group(1)
    assert str(state["version"]) == version and state["status"] == "finished"
