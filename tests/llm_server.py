"""A local OpenAI-compatible chat-completions server for tests and benchmarks.

Tests must exercise real litellm over real HTTP without touching a provider, so this server speaks
just enough of the OpenAI wire format (``POST /v1/chat/completions``) and lets a test script what
each request gets back: a reply text, an HTTP error, a delay, or a body cut short mid-stream.
Every request is recorded so tests can assert on what the judge actually sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


#: In a reply's content, replaced by the request's Authorization header: a provider (or proxy)
#: that echoes the caller's key, as some do in their error messages.
ECHO_AUTHORIZATION = "{authorization}"


@dataclass
class Reply:
    """One scripted response. ``content`` is the assistant text; ``status`` != 200 sends an
    OpenAI-style error body instead; ``truncate_body`` closes the connection half-way through.
    ``ECHO_AUTHORIZATION`` in the content becomes the request's Authorization header."""

    content: str = ""
    status: int = 200
    delay: float = 0.0
    finish_reason: str = "stop"
    truncate_body: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    prompt_tokens: int = 100
    completion_tokens: int = 50

    @classmethod
    def json(cls, obj: Any, **kw: Any) -> Reply:
        return cls(content=json.dumps(obj, ensure_ascii=False), **kw)

    @classmethod
    def error(cls, status: int, message: str = "scripted error", **kw: Any) -> Reply:
        return cls(content=message, status=status, **kw)


Responder = Callable[[dict], Reply]


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict

    @property
    def messages(self) -> list[dict]:
        return self.body.get("messages", [])

    @property
    def prompt_text(self) -> str:
        return "\n".join(str(m.get("content", "")) for m in self.messages)


class LLMServer:
    """Start with ``LLMServer().start()`` (or as a context manager); ``base_url`` ends in ``/v1``.

    Replies come from ``script`` (a FIFO of Reply, one per request) and, when it is empty, from
    ``default`` (a Reply or a callable taking the request body).
    """

    def __init__(self, default: Reply | Responder | None = None, delay: float = 0.0) -> None:
        self.default: Reply | Responder = default or Reply(content="{}")
        self.delay = delay
        self._script: deque[Reply | Responder] = deque()
        self._lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0  # requests being answered since the last reset()
        self.max_in_flight = 0
        self._generation = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.models: list[str] = ["test-model"]  # GET /v1/models
        self.ollama_models: list[str] | None = None  # GET /api/tags, as Ollama lists its models (None: 404)

    # -- scripting ---------------------------------------------------------------------------
    def push(self, *replies: Reply | Responder | str) -> LLMServer:
        """Queue replies for the next requests; a plain string is a 200 reply with that content."""
        with self._lock:
            self._script.extend(Reply(content=r) if isinstance(r, str) else r for r in replies)
        return self

    def set_default(self, default: Reply | Responder) -> LLMServer:
        self.default = default
        return self

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self.requests.clear()
            self.max_in_flight = 0
            self.in_flight = 0
            self._generation += 1  # requests still sleeping from an earlier test no longer count

    def _next(self, body: dict) -> Reply:
        with self._lock:
            item = self._script.popleft() if self._script else self.default
        return item(body) if callable(item) else item

    @property
    def count(self) -> int:
        return len(self.requests)

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> LLMServer:
        server = self

        class Handler(_Handler):
            owner = server

        self._httpd = _HTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> LLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # A class attribute, because listen() runs in the constructor: set on the instance afterwards
    # it was ignored and the backlog stayed at 5, so a burst of new connections (a client opening
    # 32 at once) lost SYNs and waited ~1 s for the retransmit.
    request_queue_size = 256

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return  # a client killed mid-request (the kill tests and benchmarks do it on purpose)
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    owner: LLMServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the body waits for the client's delayed
    # ACK (~40 ms on Linux), a stall no real provider has and one that would swamp any benchmark.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802
        owner = self.owner
        if self.path.rstrip("/").endswith("/models"):
            self._send(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in owner.models]})
        elif self.path.rstrip("/") == "/api/tags" and owner.ollama_models is not None:
            self._send(200, {"models": [{"name": m, "model": m, "size": 1} for m in owner.ollama_models]})
        else:
            self._send(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            body = {"_raw": raw.decode("utf-8", "replace")}
        owner = self.owner
        with owner._lock:
            owner.requests.append(RecordedRequest(self.path, dict(self.headers), body))
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})
            return
        try:
            reply = owner._next(body)
        except Exception as e:  # noqa: BLE001 - a broken responder is a 500, not a hung test
            reply = Reply.error(500, f"responder failed: {e!r}")
        with owner._lock:
            generation = owner._generation
            owner.in_flight += 1
            owner.max_in_flight = max(owner.max_in_flight, owner.in_flight)
        try:
            self._respond(reply, body)
        finally:
            with owner._lock:
                if owner._generation == generation:
                    owner.in_flight -= 1

    def _respond(self, reply: Reply, body: dict) -> None:
        owner = self.owner
        delay = reply.delay or owner.delay
        if delay:
            time.sleep(delay)
        if ECHO_AUTHORIZATION in reply.content:
            from dataclasses import replace

            reply = replace(reply, content=reply.content.replace(ECHO_AUTHORIZATION, self.headers.get("Authorization", "")))
        if reply.status != 200:
            err_type = "rate_limit_error" if reply.status == 429 else "server_error"
            payload = {"error": {"message": reply.content or "error", "type": err_type, "code": str(reply.status)}}
            self._send(reply.status, payload, reply.headers)
            return
        payload = {
            "id": f"chatcmpl-{owner.count}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "test-model"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply.content},
                    "finish_reason": reply.finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": reply.prompt_tokens,
                "completion_tokens": reply.completion_tokens,
                "total_tokens": reply.prompt_tokens + reply.completion_tokens,
            },
        }
        self._send(200, payload, reply.headers, truncate=reply.truncate_body)

    def _send(self, status: int, payload: dict, headers: dict[str, str] | None = None, truncate: bool = False) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            if truncate:
                self.send_header("Connection", "close")
            self.end_headers()
            if truncate:
                self.wfile.write(data[: max(1, len(data) // 2)])
                self.wfile.flush()
                self.close_connection = True
            else:
                self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client timed out and went away
            self.close_connection = True


# --- responders that read the grading prompt -------------------------------------------------------
import re  # noqa: E402

_KP_LINE = re.compile(r"^- id: (\S+) \| weight", re.M)
_MIS_LINE = re.compile(r"^- id: (\S+) \| (?!weight)", re.M)
_ANSWER = re.compile(r'<candidate_answer id="([0-9a-f]+)">\n(.*)\n</candidate_answer id="\1">', re.S)


def _user_text(body: dict) -> str:
    return "\n".join(str(m.get("content", "")) for m in body.get("messages", []) if m.get("role") == "user")


def prompt_key_points(body: dict) -> list[str]:
    """Key point ids listed in a grading request."""
    return _KP_LINE.findall(_user_text(body))


def prompt_answer(body: dict) -> str:
    """The candidate answer as it appears between the delimiters of a grading request."""
    m = _ANSWER.search(_user_text(body))
    return m.group(2) if m else ""


def verdict_for(body: dict, credit: str = "full", evidence: str | None = None, holistic: float = 10.0,
                feedback: str = "Well done.") -> dict:
    """A verdict assessing every key point of the request with ``credit``; the evidence defaults
    to the answer's first sentence, copied verbatim."""
    answer = prompt_answer(body).strip()
    first = re.split(r"(?<=[.!?。！？])\s*|\n", answer, maxsplit=1)[0]
    quote = evidence if evidence is not None else first[:300]
    return {
        "key_points": [
            {"id": kp, "credit": credit, "evidence": quote if credit != "none" else None, "rationale": "covered"}
            for kp in prompt_key_points(body)
        ],
        "misconceptions": [],
        "holistic_score": holistic,
        "feedback": feedback,
        "manipulation": None,
    }


def gullible(body: dict) -> Reply:
    """A judge that is completely fooled: everything covered, 10/10, evidence copied from the answer
    (its first sentence, real text of the answer, so evidence checks alone cannot stop it)."""
    return Reply.json(verdict_for(body, "full", holistic=10.0))


def stingy(body: dict) -> Reply:
    """A judge that credits nothing: every key point "none", 0/10."""
    return Reply.json(verdict_for(body, "none", holistic=0.0, feedback="Nothing relevant."))


def offline_like(questions: dict | None = None) -> Responder:
    """A competent scripted judge: grades the answer of each request as the offline judge does
    (its credits, misconceptions and verbatim quotes), finding the question by its text. For tests
    that need a judge which passes ``interviewer judge check`` through the whole LLM path."""
    from question_bank.loader import load_bank
    from rubrics.offline import OfflineJudge

    by_text = {q.text.en: q for q in (questions or load_bank().questions).values()}
    judge = OfflineJudge()

    def respond(body: dict) -> Reply:
        text = _user_text(body)
        start = text.find("## Question\n") + len("## Question\n")
        q = by_text.get(text[start:].split("\n", 1)[0])
        if q is None:
            return stingy(body)
        v = judge.grade(q, prompt_answer(body))
        return Reply.json({
            "key_points": [{"id": kp.id, "credit": kp.credit.value, "evidence": kp.evidence, "rationale": "as found"}
                           for kp in v.key_points],
            "misconceptions": [{"id": m.id, "evidence": m.evidence} for m in v.misconceptions],
            "holistic_score": v.score, "feedback": v.feedback or "Graded.", "manipulation": None,
        })

    return respond


def bench_full(body: dict) -> Reply:
    """Full credit quoting a sentence every benchmark answer contains."""
    return Reply.json(verdict_for(body, "full", evidence="Dividing by sqrt(d_k) restores unit variance", holistic=9))


RESPONDERS: dict[str, Responder] = {"gullible": gullible, "stingy": stingy, "bench-full": bench_full}


def main(argv: list[str] | None = None) -> None:
    """Serve from a separate process (benchmarks: the server's CPU must not share our GIL).
    Prints ``PORT <n>`` once listening; exits when stdin closes."""
    import argparse
    import sys

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--delay", type=float, default=0.0)
    ap.add_argument("--responder", choices=sorted(RESPONDERS), default="bench-full")
    args = ap.parse_args(argv)
    server = LLMServer(default=RESPONDERS[args.responder], delay=args.delay).start()
    print(f"PORT {server.port}", flush=True)
    try:
        sys.stdin.read()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
