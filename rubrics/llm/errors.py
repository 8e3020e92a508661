"""Provider failures in words a user can act on.

litellm reports a refused connection, a failed DNS lookup and a connection dropped mid-reply all
as ``InternalServerError (HTTP 500)``, which sends the user looking for a bug in the server. The
exception chain underneath (openai -> httpx -> the socket) says what really happened.
"""

from __future__ import annotations

import socket

_TIMEOUTS = {"Timeout", "APITimeoutError", "ReadTimeout", "ConnectTimeout", "WriteTimeout", "PoolTimeout"}


def _chain(e: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    cur: BaseException | None = e
    while cur is not None and cur not in out and len(out) < 20:
        out.append(cur)
        cur = cur.__cause__ or cur.__context__
    return out


def _where(chain: list[BaseException]) -> str:
    """host:port of the request that failed, as the HTTP library recorded it: the deepest one, since
    litellm attaches a placeholder request (api.openai.com) to its own exceptions."""
    for exc in reversed(chain):
        try:
            url = exc.request.url  # type: ignore[attr-defined] - httpx errors; raises when unset
        except Exception:  # noqa: BLE001, S112
            continue
        host, port = getattr(url, "host", None), getattr(url, "port", None)
        if host:
            return f"{host}:{port}" if port else str(host)
    return ""


def network_problem(e: BaseException) -> str | None:
    """What went wrong on the network ("connection refused by 127.0.0.1:9", "timed out", ...), or
    None when the provider answered (an HTTP error is then the provider's own words)."""
    chain = _chain(e)
    where = _where(chain)
    for exc in chain:
        name = type(exc).__name__
        if isinstance(exc, ConnectionRefusedError):
            return f"connection refused by {where}" if where else "connection refused"
        if isinstance(exc, socket.gaierror):
            return f"host {where.split(':')[0]} not found (DNS lookup failed)" if where else "host not found (DNS lookup failed)"
        if isinstance(exc, TimeoutError) or name in _TIMEOUTS:
            return f"no reply from {where} in time (timed out)" if where else "timed out"
        if name == "RemoteProtocolError" or isinstance(exc, ConnectionResetError):
            return f"connection to {where} dropped mid-reply" if where else "connection dropped mid-reply"
    if any(type(exc).__name__ in ("APIConnectionError", "ConnectError", "ConnectionError") for exc in chain):
        return f"cannot connect to {where}" if where else "cannot connect"
    return None


def describe_error(e: Exception, attempts: int | None = None) -> str:
    """One line for an ungraded verdict and the call log: a network failure named as such, else
    the provider's error type, HTTP status and message (and how many attempts, when given)."""
    tries = f" after {attempts} attempt{'s' if attempts != 1 else ''}" if attempts is not None else ""
    problem = network_problem(e)
    if problem:
        return f"cannot reach the judge: {problem}{tries}"
    status = getattr(e, "status_code", None)
    msg = " ".join(str(e).split())
    for prefix in ("litellm.", "OpenAIException - "):
        msg = msg.replace(prefix, "")
    tag = type(e).__name__ + (f" (HTTP {status})" if isinstance(status, int) else "")
    return f"provider error: {tag}{tries}: {msg[:240]}"
