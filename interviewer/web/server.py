"""Running the web app: bind the socket (a port in use is one clear line, before anything starts),
serve with uvicorn, and stop cleanly on SIGTERM or Ctrl-C.

Stopping pauses every open turn at once (its text and time are saved, as Ctrl-C does in the
terminal), lets requests in flight finish for a few seconds, and waits a few seconds more for the
grading in flight; whatever is still ungraded then stays pending on disk for `interviewer resume`.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
from pathlib import Path

from interviewer.errors import UserError
from interviewer.web.live import STOP_WAIT
from interviewer.web.security import is_local, new_token

#: Seconds requests in flight get to finish once the server is told to stop.
GRACEFUL = 3


def bind(host: str, port: int) -> socket.socket:
    try:
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as e:
        raise UserError(f"--host {host!r}: {e.strerror or e}") from None
    try:
        sock = socket.create_server(address, family=family)
    except OSError as e:
        hint = "; choose another with --port" if e.errno in (98, 48, 10048) else ""
        raise UserError(f"cannot listen on {host}:{port}: {e.strerror or e}{hint}") from None
    sock.set_inheritable(True)
    return sock


def url_of(host: str, port: int, token: str | None) -> str:
    shown = socket.gethostname() if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - only shown
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def serve(data_dir: Path | None, host: str = "127.0.0.1", port: int = 8765, open_browser: bool = False,
          banks: list[Path] | None = None) -> None:
    import uvicorn

    from interviewer.run import open_store
    from interviewer.web.app import create_app

    store = open_store(data_dir)
    token = None if is_local(host) else new_token()
    sock = bind(host, port)
    port = sock.getsockname()[1]
    app, web = create_app(store, port=port, host=host, token=token, extra_banks=banks)
    preload = threading.Thread(target=_preload, args=(web,), name="bank-preload", daemon=True)
    preload.start()
    url = url_of(host, port, token)
    if token:
        print(f"warning: listening on {host}, beyond this machine: anyone who can reach it and has the token can "
              "read your history and answer as you. Every request needs the token in this URL (then a cookie).",
              file=sys.stderr, flush=True)
    print(f"Serving mock interviews on {url}  (data dir {store.path.parent}; Ctrl-C stops)", flush=True)

    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame) -> None:  # noqa: ANN001
            if not self.should_exit:  # pause every open turn now, not after the connections close
                threading.Thread(target=web.sessions.stop_all, daemon=True).start()
            super().handle_exit(sig, frame)

    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                            timeout_graceful_shutdown=GRACEFUL, server_header=False)
    server = Server(config)
    # uvicorn re-raises the signal that stopped it once it is done: land it here, not in the
    # default handler, so that the engines are waited for and the exit status is 0
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)
    if open_browser:
        import webbrowser

        threading.Timer(0.5, webbrowser.open, [url]).start()
    try:
        server.run(sockets=[sock])
    finally:
        busy = web.sessions.shutdown()
        preload.join(STOP_WAIT)  # a C extension still parsing the bank must not meet the interpreter's exit
        print("Stopped. Every submitted answer and every draft is saved"
              + ("; grading left unfinished is done by `interviewer resume`." if busy else "."), flush=True)
        if busy or preload.is_alive():  # threads still waiting on a model: the answers are on disk, do not wait
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)


def _preload(web) -> None:  # noqa: ANN001
    """Load the bank while the first page is being asked for (a bad bank shows on that page)."""
    try:
        web.banks.default()
    except Exception:  # noqa: BLE001, S110 - the page that needs the bank says what is wrong
        pass
