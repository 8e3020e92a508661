"""The web app: one Starlette application over the data dir's store, the bank and the judges that
the terminal commands use. ``create_app`` wires the routes (``interviewer.web.routes``), the
templates, the static files and the guard (``interviewer.web.security``); ``interviewer.web.server``
runs it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from interviewer.web.live import Banks, LiveSessions

HERE = Path(__file__).parent


@dataclass
class Web:
    """What every request handler reaches through ``request.app.state.web``."""

    store: object  # interviewer.store.Store
    banks: Banks
    sessions: LiveSessions
    templates: object  # a jinja2 Environment
    extra_banks: list[Path] = field(default_factory=list)


def templates():  # noqa: ANN201 - a jinja2 Environment
    """Autoescaped everywhere: candidate, model and bank text is always text."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.globals["mmss"] = mmss
    return env


def mmss(seconds: float) -> str:
    seconds = max(0, int(seconds + 0.999))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def create_app(store, *, port: int, host: str = "127.0.0.1", token: str | None = None,  # noqa: ANN001, ANN201
               extra_banks: list[Path] | None = None):
    """The ASGI app (wrapped in its guard) and its ``Web`` state. Bound to localhost, requests must
    name a local address; beyond it, ``token`` is required instead."""
    from starlette.applications import Starlette

    from starlette.middleware import Middleware

    from interviewer.web.routes import OneLineErrors, exception_handlers, routes
    from interviewer.web.security import Guard, is_local, local_authorities

    banks = Banks(extra_banks)
    web = Web(store=store, banks=banks, sessions=LiveSessions(store, banks), templates=templates(),
              extra_banks=list(extra_banks or []))
    app = Starlette(routes=routes(HERE / "static"), exception_handlers=exception_handlers(),
                    middleware=[Middleware(OneLineErrors)])
    app.state.web = web
    allowed = local_authorities(port) if is_local(host) else None
    return Guard(app, allowed_hosts=allowed, token=None if is_local(host) else token, port=port), web
