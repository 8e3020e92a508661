"""The web app's pages and its small JSON API. Every page is a jinja template (autoescaped); every
action goes through the same functions the terminal commands use: drawing, the session engine, the
store, the report, history and drilling.

Pages: ``/`` start, ``/s/ID`` the interview, ``/s/ID/report``, ``/history``, ``/progress``,
``/drill``. API (the interview page's script): ``GET /api/s/ID/state`` (also tells the engine a
page is there), ``POST /api/s/ID/draft``, ``/reply`` and ``/leave``.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from interviewer.errors import UserError
from interviewer.notices import one_line
from interviewer.web.labels import WebLabels, t
from interviewer.web.web_source import ACTIONS, TurnClosed

#: The largest request body taken (an answer of a million characters is not an answer).
MAX_BODY = 2 * 1024 * 1024
#: The report is our own escaped HTML with inline styles and SVG, and no script at all.
REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; "
              "frame-ancestors 'none'")
LANG_COOKIE = "interviewer_lang"


class BadRequest(UserError):
    """A form or request the page should not have sent: one clear line back."""


# -- helpers ---------------------------------------------------------------------------------------

def web(request: Request):  # noqa: ANN201 - interviewer.web.app.Web
    return request.app.state.web


def ui_lang(request: Request) -> str:
    """The app's language: the reader's choice (a cookie), else the browser's first language."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in ("en", "zh"):
        return chosen
    return "zh" if request.headers.get("accept-language", "").lower().startswith("zh") else "en"


def page(request: Request, template: str, lang: str, http_status: int = 200, **context: object) -> HTMLResponse:
    html = web(request).templates.get_template(template).render(W=WebLabels(lang), lang=lang, path=request.url.path,
                                                                **context)
    return HTMLResponse(html, status_code=http_status)


async def body(request: Request) -> bytes:
    size = request.headers.get("content-length")
    if size is not None and (not size.isdigit() or int(size) > MAX_BODY):
        raise BadRequest("the request is too large")
    data = await request.body()
    if len(data) > MAX_BODY:
        raise BadRequest("the request is too large")
    return data


async def form(request: Request) -> dict[str, list[str]]:
    """A urlencoded form (the only kind our pages send)."""
    return parse_qs((await body(request)).decode("utf-8", "replace"), keep_blank_values=True)


async def json_body(request: Request) -> dict:
    try:
        data = json.loads((await body(request)).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadRequest("the request is not JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("the request is not a JSON object")
    return data


def one(values: dict[str, list[str]], name: str, default: str = "") -> str:
    got = values.get(name)
    return got[0].strip() if got else default


def number(values: dict[str, list[str]], name: str, low: float, high: float, *, integer: bool = True,
           default: float | None = None, label: str = "") -> float | None:
    raw = one(values, name)
    if not raw:
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        raise BadRequest(f"{label or name} must be a {'whole ' if integer else ''}number") from None
    if not low <= value <= high:
        raise BadRequest(f"{label or name} must be between {low:g} and {high:g}")
    return value


def judge_choices() -> list[tuple[str, str]]:
    """(value, the model's name) of the judges a page may pick: offline, and the configured one (never
    a key: only the model's name is shown, and only its settings' key variable name is stored)."""
    from interviewer.judge_factory import resolve_spec

    configured = resolve_spec(None)
    return [("offline", "offline")] + ([("default", configured)] if configured != "offline" else [])


def judge_spec(values: dict[str, list[str]]) -> str | None:
    chosen = one(values, "judge", "offline")
    if chosen not in {v for v, _ in judge_choices()}:
        raise BadRequest("choose one of the judges offered")
    return None if chosen == "default" else "offline"


def session_or_404(request: Request):  # noqa: ANN201
    return web(request).store.get_session(request.path_params["sid"])


# -- start -----------------------------------------------------------------------------------------

async def start_page(request: Request, error: str | None = None, values: dict | None = None) -> HTMLResponse:
    from interviewer.config import follow_ups_setting

    w = web(request)
    lang = ui_lang(request)
    bank = await run_in_threadpool(w.banks.default)
    sessions = await run_in_threadpool(w.store.list_sessions)
    unfinished = [s for s in reversed(sessions) if s.status == "active"][:5]
    return page(request, "start.html.j2", lang, http_status=400 if error else 200, error=error, topics=sorted(bank.topics),
                judges=judge_choices(), unfinished=unfinished, values=values or {},
                default_follow_ups=follow_ups_setting(None))


async def start_post(request: Request) -> Response:
    return await _begin(request, _start_interview, start_page)


async def _begin(request: Request, starter, form_page) -> Response:  # noqa: ANN001
    """Start a session from a posted form and go to it; bad input shows the form again with one line."""
    values = await form(request)
    try:
        session_id = await run_in_threadpool(starter, web(request), values)
    except UserError as e:
        return await form_page(request, error=one_line(e), values=values)
    return RedirectResponse(f"/s/{session_id}", status_code=303)


def _start_interview(w, values: dict[str, list[str]]) -> str:  # noqa: ANN001
    """Draw and start an interview as `interviewer start` does; the new session's id."""
    from interviewer.config import follow_ups_setting
    from interviewer.draw import draw_questions
    from interviewer.run import build_judge, check_interview_options, judge_settings, plan_minutes
    from interviewer.session import create_session
    from question_bank.loader import BankError
    from reports.records import SessionSettings

    bank = w.banks.default()
    topics = [x for x in values.get("topic", []) if x]
    difficulty = one(values, "difficulty", "mixed")
    count = int(number(values, "count", 1, 50, default=5, label="Questions"))
    minutes = number(values, "minutes", 0.1, 600, integer=False, label="Minutes")
    seed = number(values, "seed", 0, 2**31 - 1, label="Seed")
    lang = one(values, "lang", "en")
    follow_ups = follow_ups_setting(number(values, "follow_ups", 0, 4, label="Follow-ups"))
    spec = judge_spec(values)
    check_interview_options(lang, minutes)
    try:
        plan = draw_questions(bank, topics, difficulty, count, seed)
    except BankError as e:
        raise UserError(str(e)) from None
    judge = build_judge(spec, store=w.store, lazy=True)
    settings = SessionSettings(
        topics=topics, difficulty=difficulty, count=count, minutes=plan_minutes(bank, plan, minutes, follow_ups),
        seed=seed, lang=lang, banks=[str(p.resolve()) for p in w.extra_banks], follow_ups=follow_ups,  # type: ignore[arg-type]
        **judge_settings(spec, None, None, None, None),
    )
    session = create_session(w.store, settings, plan)
    w.sessions.begin(session, judge, bank)
    return session.id


# -- the interview ---------------------------------------------------------------------------------

async def interview_page(request: Request) -> HTMLResponse:
    w = web(request)
    session = await run_in_threadpool(session_or_404, request)
    live = w.sessions.get(session.id)
    view = await run_in_threadpool(interview_view, w, session, live)
    return page(request, "interview.html.j2", session.settings.lang, session=session, **view)


def interview_view(w, session, live) -> dict:  # noqa: ANN001
    """What the interview page shows: the open turn (if any), the session's status and its answers."""
    turn = live.source.turn if live is not None and live.alive() else None
    snap = snapshot(live)
    if turn is not None and snap["key"] is None:  # closed between the two reads
        turn = None
    status = session_status(w, session, live)
    left = sum(q.status == "pending" for q in answers_of(w, session))
    return {"turn": turn, "snap": snap, "status": status, "answers": answers_state(w, session),
            "pending": left, "judge_line": judge_line(live, session.settings.lang),
            "problem": live.problem if live is not None else None}


def snapshot(live) -> dict:  # noqa: ANN001
    """The open turn's clock and text; the page reloads when its ``version`` changes."""
    return live.source.snapshot() if live is not None else {"key": None, "version": 0}


def session_status(w, session, live) -> str:  # noqa: ANN001
    """running, grading, paused, finished, pending (ended with answers left to grade) or failed."""
    if live is not None and (live.alive() or live.state in ("failed",)):
        return live.state
    fresh = w.store.get_session(session.id)
    if fresh.status == "active":
        return "paused"
    return "pending" if any(a.verdict is None for a in w.store.answers(session.id)) else "finished"


def answers_of(w, session):  # noqa: ANN001, ANN201
    """The report's rows of the session (one per question, its thread inside)."""
    from reports.report import build_report

    answers = w.store.attach_follow_ups(w.store.answers(session.id))
    return build_report(session, answers, w.banks.for_session(session).questions).questions  # no history: cheap


def answers_state(w, session) -> list[dict]:  # noqa: ANN001
    """Each question's status for the page: saved, grading, graded (with its score), skipped…"""
    lang = session.settings.lang
    rows = []
    for q in answers_of(w, session):
        rows.append({"n": q.position, "status": q.status, "ended": q.ended, "label": _status_label(q.status, q.ended, q.score, lang),
                     "follow_ups": [{"k": f.number, "label": _status_label(f.status, f.ended, f.score, lang)}
                                    for f in q.follow_ups]})
    return rows


def _status_label(status: str, ended: str | None, score: float | None, lang: str) -> str:
    from reports.labels import value

    if status == "graded":
        return f"{value(ended or 'submitted', lang)} · {score:.1f}/10" if score is not None else value(status, lang)
    if status == "pending":
        return f"{t('status_saved', lang)} · {t('grading', lang)}"
    shown = value(status, lang)
    return shown.replace("_", " ") if shown == status else shown


def judge_line(live, lang: str) -> str | None:  # noqa: ANN001
    status = live.judge_status if live is not None else None
    if status is None or status.model == "offline":
        return None
    return status.line(lang)


async def state_api(request: Request) -> JSONResponse:
    w = web(request)
    session = await run_in_threadpool(session_or_404, request)
    live = w.sessions.get(session.id)
    if live is not None:
        live.source.seen()
    status = await run_in_threadpool(session_status, w, session, live)
    answers = await run_in_threadpool(answers_state, w, session)
    snap = snapshot(live)
    return JSONResponse({"status": status, "turn": snap, "version": snap["version"], "answers": answers,
                         "judge": judge_line(live, session.settings.lang),
                         "problem": live.problem if live is not None else None})


def _live_or_closed(request: Request):  # noqa: ANN202
    live = web(request).sessions.running(request.path_params["sid"])
    if live is None:
        raise TurnClosed("this interview is not running; reload the page")
    return live


async def draft_api(request: Request) -> JSONResponse:
    data = await json_body(request)
    live = _live_or_closed(request)
    await run_in_threadpool(live.source.save_draft, str(data.get("key", "")), _text(data))
    return JSONResponse({"saved": True})


async def reply_api(request: Request) -> JSONResponse:
    data = await json_body(request)
    action = str(data.get("action", ""))
    if action not in ACTIONS:
        raise BadRequest(f"unknown action {action!r}")
    live = _live_or_closed(request)
    posted = await run_in_threadpool(live.source.reply, str(data.get("key", "")), _text(data), action)
    return JSONResponse({"saved": True, "ended": posted.ended, "duplicate": posted.duplicate})


async def leave_api(request: Request) -> JSONResponse:
    """The page is going away (closed or reloaded): its last text is saved, and the engine pauses
    the turn unless a page comes back within seconds."""
    data = await json_body(request)
    live = web(request).sessions.running(request.path_params["sid"])
    if live is not None:
        try:
            await run_in_threadpool(live.source.save_draft, str(data.get("key", "")), _text(data))
        except TurnClosed:
            pass
        live.source.seen(leaving=True)
    return JSONResponse({"ok": True})


def _text(data: dict) -> str:
    text = data.get("text", "")
    if not isinstance(text, str):
        raise BadRequest("the answer must be text")
    return text.replace("\r\n", "\n")


async def continue_post(request: Request) -> Response:
    w = web(request)
    session = await run_in_threadpool(session_or_404, request)
    await run_in_threadpool(w.sessions.resume, session.id)
    return RedirectResponse(f"/s/{session.id}", status_code=303)


async def report_page(request: Request) -> Response:
    from reports.report import render

    from interviewer.run import session_report

    w = web(request)
    session = await run_in_threadpool(session_or_404, request)
    html = await run_in_threadpool(lambda: render(session_report(w.store, w.banks.for_session(session), session), "html"))
    return HTMLResponse(html, headers={"content-security-policy": REPORT_CSP})


# -- history, progress, drill ------------------------------------------------------------------------

def _history(w):  # noqa: ANN001, ANN202
    """Sessions, answers with their threads, and a bank that knows every question they mention."""
    sessions = w.store.list_sessions()
    paths = tuple(sorted({p for s in sessions for p in s.settings.banks if Path(p).exists()}))
    bank = w.banks._get(paths)  # noqa: SLF001
    return sessions, w.store.attach_follow_ups(w.store.all_answers()), bank


async def history_page(request: Request) -> HTMLResponse:
    from interviewer.cmd_history import history_rows

    w = web(request)

    def rows() -> list[dict]:
        sessions, answers, bank = _history(w)
        return history_rows(sessions, answers, bank)[::-1]

    return page(request, "history.html.j2", ui_lang(request), rows=await run_in_threadpool(rows))


async def progress_page(request: Request) -> HTMLResponse:
    from interviewer.cmd_history import progress_summary
    from reports.charts import score_bars, score_trend

    w = web(request)
    lang = ui_lang(request)

    def view() -> dict:
        sessions, answers, bank = _history(w)
        summary = progress_summary(sessions, answers, bank)
        topics = summary["topics"]
        bars = score_bars([(x["topic"], x["mastery"], t("n_answers", lang, n=x["answers"])) for x in topics],
                          t("chart_mastery", lang), width=360) if topics else None
        dated = {s.id: s.created_at for s in sessions}
        points = [(dated[s["session_id"]].strftime("%m-%d %H:%M"), s["score"]) for s in summary["sessions"][-20:]]
        trend = score_trend(points, len(points) - 1, lang=lang) if any(s is not None for _, s in points) else None
        weakest = [x["topic"] for x in topics[::-1][:2]]
        return {"summary": summary, "bars": bars, "trend": trend, "weakest": weakest}

    return page(request, "progress.html.j2", lang, **await run_in_threadpool(view))


async def drill_page(request: Request, error: str | None = None, values: dict | None = None) -> HTMLResponse:
    from interviewer.config import follow_ups_setting

    w = web(request)
    lang = ui_lang(request)
    values = values or {}
    topics = [x for x in values.get("topic", []) if x] or request.query_params.getlist("topic")
    count = request.query_params.get("count", "5")

    def plan() -> tuple[list, str | None, list[str]]:
        from interviewer.drill import select_drill

        sessions, answers, bank = _history(w)
        try:
            picks = select_drill(bank, answers, int(count) if count.isdigit() and 0 < int(count) <= 50 else 5, topics)
        except UserError as e:
            return [], one_line(e), sorted(bank.topics)
        return [(p, bank.get(p.question_id)) for p in picks], None, sorted(bank.topics)

    picks, problem, all_topics = await run_in_threadpool(plan)
    return page(request, "drill.html.j2", lang, http_status=400 if error else 200, picks=picks, problem=problem,
                error=error, topics=all_topics, chosen=topics, values=values, judges=judge_choices(),
                default_follow_ups=follow_ups_setting(None), count=count)


async def drill_post(request: Request) -> Response:
    return await _begin(request, _start_drill, drill_page)


def _start_drill(w, values: dict[str, list[str]]) -> str:  # noqa: ANN001
    """Choose and start a drill as `interviewer drill` does; the new session's id."""
    from interviewer.config import follow_ups_setting
    from interviewer.drill import select_drill
    from interviewer.run import build_judge, check_interview_options, judge_settings, plan_minutes
    from interviewer.session import create_session
    from reports.records import SessionSettings

    sessions, answers, bank = _history(w)
    topics = [x for x in values.get("topic", []) if x]
    count = int(number(values, "count", 1, 50, default=5, label="Questions"))
    minutes = number(values, "minutes", 0.1, 600, integer=False, label="Minutes")
    lang = one(values, "lang", "en")
    follow_ups = follow_ups_setting(number(values, "follow_ups", 0, 4, label="Follow-ups"))
    spec = judge_spec(values)
    check_interview_options(lang, minutes)
    picks = select_drill(bank, answers, count, topics)
    plan = [p.question_id for p in picks]
    judge = build_judge(spec, store=w.store, lazy=True)
    settings = SessionSettings(
        mode="drill", topics=topics, difficulty="mixed", count=len(plan), minutes=plan_minutes(bank, plan, minutes, follow_ups),
        lang=lang, follow_ups=follow_ups, **judge_settings(spec, None, None, None, None),  # type: ignore[arg-type]
        banks=sorted({*(p for s in sessions for p in s.settings.banks if Path(p).exists()),
                      *(str(p.resolve()) for p in w.extra_banks)}),
    )
    session = create_session(w.store, settings, plan, {p.question_id: p.reason for p in picks})
    w.sessions.begin(session, judge, bank)
    return session.id


# -- language, errors ------------------------------------------------------------------------------

async def set_lang(request: Request) -> Response:
    """Switch the app's language (a preference cookie; interviews keep their own language)."""
    lang = request.path_params["lang"]
    back = request.query_params.get("back", "/")
    if not back.startswith("/") or back.startswith("//"):
        back = "/"
    response = RedirectResponse(back, status_code=303)
    if lang in ("en", "zh"):
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="strict", httponly=True)
    return response


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def user_error(request: Request, exc: Exception) -> Response:
    """A mistake the reader can fix, or a session that does not exist: one clear line."""
    message = one_line(exc)
    closed = isinstance(exc, TurnClosed)
    from interviewer.store import StorageError

    status = 409 if closed else 507 if isinstance(exc, StorageError) else 404 if message.startswith("no session") else 400
    if _wants_json(request):
        return JSONResponse({"error": message, "closed": closed}, status_code=status)
    return page(request, "error.html.j2", ui_lang(request), http_status=status, message=message)


class OneLineErrors:
    """A bug is one line on the page and one on the server's stderr, never a traceback
    (INTERVIEWER_DEBUG=1 lets it through)."""

    def __init__(self, app) -> None:  # noqa: ANN001
        self.app = app

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        import os
        import sys

        if scope["type"] != "http" or os.environ.get("INTERVIEWER_DEBUG"):
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message) -> None:  # noqa: ANN001
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:  # noqa: BLE001
            message = f"internal error: {exc.__class__.__name__}: {one_line(exc)}"
            print(f"error: {scope.get('method')} {scope.get('path')}: {message}", file=sys.stderr, flush=True)
            if started:
                return
            request = Request(scope)
            response = (JSONResponse({"error": message}, status_code=500) if _wants_json(request) else
                        page(request, "error.html.j2", ui_lang(request), http_status=500, message=message))
            await response(scope, receive, send)


async def not_found(request: Request, exc: Exception) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": "not found"}, status_code=404)
    return page(request, "error.html.j2", ui_lang(request), http_status=404, message=t("not_found", ui_lang(request)))


def exception_handlers() -> dict:
    from starlette.exceptions import HTTPException

    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 404:
            return await not_found(request, exc)
        message = exc.detail if isinstance(exc.detail, str) else "bad request"
        if _wants_json(request):
            return JSONResponse({"error": message}, status_code=exc.status_code)
        return page(request, "error.html.j2", ui_lang(request), http_status=exc.status_code, message=message)

    return {UserError: user_error, TurnClosed: user_error, HTTPException: http_error}


def routes(static: Path) -> list:
    sid = "{sid:str}"
    return [
        Route("/", start_page),
        Route("/start", start_post, methods=["POST"]),
        Route(f"/s/{sid}", interview_page),
        Route(f"/s/{sid}/continue", continue_post, methods=["POST"]),
        Route(f"/s/{sid}/report", report_page),
        Route(f"/api/s/{sid}/state", state_api),
        Route(f"/api/s/{sid}/draft", draft_api, methods=["POST"]),
        Route(f"/api/s/{sid}/reply", reply_api, methods=["POST"]),
        Route(f"/api/s/{sid}/leave", leave_api, methods=["POST"]),
        Route("/history", history_page),
        Route("/progress", progress_page),
        Route("/drill", drill_page),
        Route("/drill", drill_post, methods=["POST"]),
        Route("/lang/{lang:str}", set_lang),
        Mount("/static", StaticFiles(directory=static), name="static"),
    ]
