"""What stands between the web app and the rest of the world, as one ASGI middleware.

- **Host**: bound to localhost, a request must name this server's own address (``127.0.0.1:PORT``,
  ``localhost:PORT`` or ``[::1]:PORT``). A page on another site that rebinds its DNS name to
  127.0.0.1 sends its own name as Host and is refused (DNS rebinding).
- **Token**: bound beyond localhost, every request needs the random token printed at start-up, in
  the URL once (it then lives in an HttpOnly, SameSite=Strict cookie and the URL is cleaned).
- **Origin**: every state-changing request (anything but GET and HEAD) must come from a page of
  this server: its ``Origin`` (or, without one, its ``Referer``) must be this origin. A form or a
  ``fetch`` on another site cannot submit, skip or start anything.
- **Headers**: a strict Content-Security-Policy on every page (scripts and styles from this server
  only, nothing fetched elsewhere, no framing) unless a route set its own, ``nosniff``, no caching.
"""

from __future__ import annotations

import hmac
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode, urlsplit

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
SAFE_METHODS = ("GET", "HEAD")
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
TOKEN_PARAM = "token"


def is_local(host: str) -> bool:
    return host in LOCAL_HOSTS


def new_token() -> str:
    return secrets.token_urlsafe(24)


def local_authorities(port: int) -> set[str]:
    """The Host values a browser sends for this server on localhost."""
    return {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"}


class Guard:
    """``allowed_hosts``: the Host values accepted (None: any, when a token guards instead);
    ``token``: required on every request when set; ``cookie``: the cookie that carries it."""

    def __init__(self, app, *, allowed_hosts: set[str] | None, token: str | None, port: int) -> None:  # noqa: ANN001
        self.app = app
        self.allowed_hosts = {h.lower() for h in allowed_hosts} if allowed_hosts is not None else None
        self.token = token
        self.cookie = f"interviewer_token_{port}"

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "").lower()
        if self.allowed_hosts is not None and host not in self.allowed_hosts:
            await _refuse(send, 421 if host else 400, f"This server answers only as {sorted(self.allowed_hosts)[0]}; "
                                                      "open it by that address.")
            return
        query = scope.get("query_string", b"").decode("latin-1")
        if self.token is not None:
            given = dict(parse_qsl(query)).get(TOKEN_PARAM)
            if given is not None and _same(given, self.token):
                await _set_token_cookie(send, scope, query, self.cookie, self.token)
                return
            if not _same(_cookie(headers.get("cookie", ""), self.cookie) or "", self.token):
                await _refuse(send, 403, "This server needs the token printed when it started: open the URL it printed "
                                         "(…/?token=…).")
                return
        if scope["method"] not in SAFE_METHODS and not _same_origin(headers, host):
            await _refuse(send, 403, "Cross-site request refused: state-changing requests must come from this "
                                     "server's own pages.")
            return
        await self.app(scope, receive, _with_headers(send))


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _cookie(header: str, name: str) -> str | None:
    jar = SimpleCookie()
    try:
        jar.load(header)
    except Exception:  # noqa: BLE001 - a malformed cookie header is no token
        return None
    return jar[name].value if name in jar else None


def _same_origin(headers: dict[str, str], host: str) -> bool:
    """The request comes from a page of this server (scheme http, this Host)."""
    if headers.get("sec-fetch-site") in ("cross-site", "same-site"):
        return False
    origin = headers.get("origin")
    if origin is None:  # some requests carry only a Referer
        ref = headers.get("referer")
        if not ref:
            return False
        parts = urlsplit(ref)
        origin = f"{parts.scheme}://{parts.netloc}"
    return bool(host) and origin.lower() == f"http://{host}"


def _with_headers(send):  # noqa: ANN001, ANN202
    async def wrapped(message) -> None:  # noqa: ANN001
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            names = {k.lower() for k, _ in headers}
            extra = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                     (b"x-frame-options", b"DENY"), (b"referrer-policy", b"same-origin"),
                     (b"cache-control", b"no-store")]
            headers += [(k, v) for k, v in extra if k not in names]
            message = {**message, "headers": headers}
        await send(message)

    return wrapped


async def _refuse(send, status: int, text: str) -> None:  # noqa: ANN001
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff")]})
    await send({"type": "http.response.body", "body": body})


async def _set_token_cookie(send, scope, query: str, name: str, token: str) -> None:  # noqa: ANN001
    """The first visit with the token: keep it in a cookie and send the browser to the clean URL."""
    rest = urlencode([(k, v) for k, v in parse_qsl(query) if k != TOKEN_PARAM])
    path = (scope.get("raw_path") or b"/").decode("latin-1")
    if not path.startswith("/") or path.startswith("//"):  # never a redirect to another host
        path = "/"
    location = path + (f"?{rest}" if rest else "")
    cookie = f"{name}={token}; Path=/; HttpOnly; SameSite=Strict"
    await send({"type": "http.response.start", "status": 303,
                "headers": [(b"location", location.encode("latin-1")), (b"set-cookie", cookie.encode()),
                            (b"content-length", b"0"), (b"cache-control", b"no-store"),
                            (b"referrer-policy", b"no-referrer")]})
    await send({"type": "http.response.body", "body": b""})
