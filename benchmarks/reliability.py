"""Reliability under kills, races, full disks, secrets and hostile input, in one run.

    .venv/bin/python benchmarks/reliability.py [--kills 10] [--tui-kills 5] [--parallel 8] [--seed 1]

Everything is real: the `interviewer` command in subprocesses (the terminal UI in tmux), SIGKILL at
random moments, concurrent runs on one data dir, litellm over HTTP to the local test server
(tests/llm_server.py, in this process). One line per figure, each with its bound; the exit status
is 1 when any figure is out of bound:

  answers lost over N kills          scripted runs killed mid-interview or mid-grading, then resumed;
                                     terminal runs killed after an answer and a draft were saved
  ungraded by error, 8 parallel runs 8 interviews of 20 keyword-heavy answers on one data dir at once
  DBs unopenable after N kills       SIGKILL at a random statement of a first open and of an upgrade
                                     of a populated database, and 4 commands opening a new dir at once
  secrets on disk                    after a provider that echoes the key (error) and the header (reply)
  live formula cells                 CSV export of model text and answers that start with = + - @
  raw HTML in Markdown               HTML tokens and javascript: links in the Markdown report, parsed
  ESC bytes from model text          in grade output, reports, the database, bank show/list of a bank
                                     with escapes
  peak RSS for the alias bomb        `bank validate` of a 305-byte YAML file of 9^9 values
  requests after a killed parent     `regrade --workers 2` SIGKILLed, requests in the next 6 s
  answers lost on a full disk        terminal runs on a disk made full mid-interview (PRAGMA max_page_count)
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers import wait_for  # noqa: E402
from tests.hostile import (  # noqa: E402
    ESCAPES, FORMULAS, HOSTILE_HTML, OTHER_KEY, SECRET, alias_bomb, echo_key_error, echo_key_feedback,
    hostile_feedback, peak_rss_mib,
)
from tests.llm_server import LLMServer, Reply, verdict_for  # noqa: E402

MODEL = "openai/test-model"
EXAMPLE = str(ROOT / "question_bank" / "examples" / "custom_bank.yaml")
ENV = {**os.environ, "INTERVIEWER_BANK": "", "OPENAI_API_KEY": "sk-bench-not-a-key"}
ENV.pop("INTERVIEWER_JUDGE_MODEL", None)


def interviewer(*args: str, data: Path | None = None, env: dict | None = None, timeout: float = 300,
                stdin: str | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "interviewer", *args, *(["--data-dir", str(data)] if data else [])]
    return subprocess.run(cmd, cwd=ROOT, env={**ENV, **(env or {})}, capture_output=True, timeout=timeout,
                          input=stdin.encode() if stdin is not None else None,
                          stdin=None if stdin is not None else subprocess.DEVNULL)


def popen(*args: str, data: Path, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "interviewer", *args, "--data-dir", str(data)], cwd=ROOT,
                            env={**ENV, **(env or {})}, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def rows(data: Path, sql: str, args: tuple = ()) -> list:
    with sqlite3.connect(f"file:{data / 'interviewer.db'}?mode=ro", uri=True, timeout=30) as conn:
        return conn.execute(sql, args).fetchall()


def _has_session(data: Path) -> bool:
    try:
        return bool(rows(data, "SELECT 1 FROM sessions"))
    except sqlite3.Error:  # not migrated yet
        return False


def _moment(data: Path) -> str:
    """When a scripted run was killed, judging by what it left."""
    status, pending = rows(data, "SELECT status, (SELECT count(*) FROM answers a WHERE a.session_id = s.id AND NOT "
                                 "EXISTS (SELECT 1 FROM verdicts v WHERE v.answer_id = a.id)) FROM sessions s")[0]
    if status != "finished":
        return "mid-interview"
    return "mid-grading" if pending else "after the end"


def stored_text_count(data: Path, needles: tuple[str, ...]) -> int:
    """Occurrences of ``needles`` in every text value of the database (its file is binary: a byte
    0x1b there is as likely a record header as an escape)."""
    with sqlite3.connect(f"file:{data / 'interviewer.db'}?mode=ro", uri=True) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return sum(v.count(n) for t in tables for row in conn.execute(f"SELECT * FROM {t}")  # noqa: S608
                   for v in row if isinstance(v, str) for n in needles)


def jsonl(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    return path


def keyword_answers(n: int, rng: random.Random) -> list[str]:
    """Keyword-heavy answers (reference answers, and their words as lists): many distinct words."""
    from question_bank.loader import load_bank

    refs = [q.reference_answer.en for q in load_bank().questions.values()]
    out = []
    for i in range(n):
        ref = rng.choice(refs)
        out.append(ref if i % 2 else ", ".join(rng.sample(ref.replace(".", " ").split(), 25)))
    return out


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rng = random.Random(args.seed)
        self.tmp = Path(tempfile.mkdtemp(prefix="reliability-"))
        self.server = LLMServer().start()
        self.arrivals: list[float] = []
        self.results: list[tuple[str, str, bool]] = []

    def judge(self, *extra: str) -> list[str]:
        return ["--judge", MODEL, "--api-base", self.server.base_url, *extra]

    def respond(self, responder, delay: float = 0.0) -> None:  # noqa: ANN001
        """Answer every request with ``responder``, logging when each arrived."""
        def timed(body: dict) -> Reply:
            self.arrivals.append(time.monotonic())
            reply = responder(body)
            if delay:
                reply.delay = delay
            return reply

        self.server.reset()
        self.server.set_default(timed)

    def report(self, label: str, value: float, bound: float, detail: str = "", unit: str = "") -> None:
        ok = value <= bound
        shown = f"{value:g}{unit}"
        line = f"{label:<52} {shown:>10}   (bound {bound:g}{unit}) {'OK' if ok else 'OUT OF BOUND'}"
        print(line + (f"   {detail}" if detail else ""), flush=True)
        self.results.append((label, shown, ok))

    def skip(self, label: str, why: str) -> None:
        print(f"{label:<52} {'skipped':>10}   ({why})", flush=True)

    # --- kills -------------------------------------------------------------------------------
    def scripted_kills(self) -> None:
        n = self.args.kills
        answers = keyword_answers(5, self.rng)
        total = lost = 0
        when = {"before the session": 0, "mid-interview": 0, "mid-grading": 0, "after the end": 0}
        for i in range(n):
            data = self.tmp / f"scripted-{i}"
            file = jsonl(self.tmp / f"scripted-{i}.jsonl", [{"answer": a, "seconds": 10} for a in answers])
            self.respond(lambda b: Reply.json(verdict_for(b, "full", holistic=9)), delay=0.3)  # grading is slow
            proc = popen("start", "--count", "5", "--seed", str(i), "--answers", str(file), *self.judge(), data=data)
            if i % 5:  # most kills once the session exists: while answers are saved and graded
                wait_for(lambda: proc.poll() is not None or (data / "interviewer.db").exists()
                         and _has_session(data), timeout=120, what="the session")
                time.sleep(self.rng.uniform(0.0, 2.5))
            else:  # and some at any moment of start-up
                time.sleep(self.rng.uniform(0.0, 3.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            self.respond(lambda b: Reply.json(verdict_for(b, "full", holistic=9)))
            started = (data / "interviewer.db").exists() and _has_session(data)
            when[_moment(data) if started else "before the session"] += 1
            if started:  # what a user does after a crash (it says so when nothing is left to do)
                interviewer("resume", "--answers", str(file), data=data)
            else:  # killed before the session existed: the user starts again
                interviewer("start", "--count", "5", "--seed", str(i), "--answers", str(file), *self.judge(), data=data)
            (sid,) = rows(data, "SELECT id FROM sessions")[0]
            stored = dict(rows(data, "SELECT position, answer FROM answers WHERE session_id = ?", (sid,)))
            graded = rows(data, "SELECT count(*) FROM answers a WHERE session_id = ? AND EXISTS (SELECT 1 FROM "
                                "verdicts v WHERE v.answer_id = a.id AND v.status = 'graded')", (sid,))[0][0]
            total += len(answers)
            lost += sum(stored.get(p) != a for p, a in enumerate(answers)) + (len(stored) - graded)
        self.report(f"answers lost over {n} kills (scripted, LLM judge)", lost, 0,
                    f"of {total}; killed {', '.join(f'{k} {v}' for k, v in when.items() if v)}; resumed after each")

    def tui_kills(self) -> None:
        from tests.tmux import Tmux, tmux_available

        label = f"answers lost over {self.args.tui_kills} kills (terminal UI)"
        if not tmux_available():
            return self.skip(label, "tmux is not installed")
        lost = total = 0
        for i in range(self.args.tui_kills):
            data = self.tmp / f"tui-{i}"
            term = Tmux([sys.executable, "-m", "interviewer", "start", "--count", "3", "--minutes", "30", "--follow-ups", "0", "--seed",
                         str(i), "--data-dir", str(data)], ROOT)
            try:
                first, second = f"first answer {i}: attention weighs values", f"second answer {i}, still typing"
                term.wait(r"Question 1/3")
                term.keys(first, literal=True)
                term.keys("C-d")
                saved = bool(term.wait(r"answer 1 saved"))
                term.wait(r"Question 2/3")
                term.keys(second, literal=True)
                time.sleep(4.5 + self.rng.uniform(0, 1.5))  # past the 3 s autosave, then anywhere
                os.kill(term.pid(), signal.SIGKILL)
                term.wait(r"EXIT=")
            finally:
                term.close()
            answers = dict(rows(data, "SELECT position, answer FROM answers"))
            drafts = dict(rows(data, "SELECT position, text FROM drafts"))
            total += 2
            lost += int(saved and answers.get(0) != first) + int(drafts.get(1) != second)
        self.report(label, lost, 0, f"of {total} (a confirmed answer, and a draft autosaved before the kill)")

    def full_disk(self) -> None:
        from tests.tmux import Tmux, tmux_available

        label = "typed answers lost on a full disk (terminal UI)"
        if not tmux_available():
            return self.skip(label, "tmux is not installed")
        text = " ".join(f"word{i} about attention heads and softmax" for i in range(200))
        lost = 0
        for mode in ("space returns", "gives up"):
            flag, data = self.tmp / f"full-{mode[:4]}", self.tmp / f"full-data-{mode[:4]}"
            term = Tmux([sys.executable, "-m", "tests.full_disk", str(flag), "start", "--count", "1", "--minutes", "20",
                         "--follow-ups", "0", "--data-dir", str(data)], ROOT)
            try:
                term.wait(r"Question 1/1")
                flag.write_text("")
                term.keys(text, literal=True)
                term.keys("C-d")
                term.wait(r"answer NOT saved")
                if mode == "space returns":
                    flag.unlink()
                    term.wait(r"EXIT=0")
                    lost += int(dict(rows(data, "SELECT position, answer FROM answers")).get(0) != text)
                else:
                    term.keys("C-c")
                    term.wait(r"EXIT=1")
                    m = re.search(r"is in (\S+\.txt)", term.screen().replace("\n", ""))
                    lost += int(not m or Path(m.group(1)).read_text(encoding="utf-8") != text)
            finally:
                term.close()
        self.report(label, lost, 0, "of 2 (saved once space returns; written to a printed file on Ctrl-C)")

    # --- races --------------------------------------------------------------------------------
    def parallel_runs(self) -> None:
        n = self.args.parallel
        data = self.tmp / "parallel"
        self.respond(lambda b: Reply.json(verdict_for(b, "full", holistic=9)))
        procs = []
        for i in range(n):
            file = jsonl(self.tmp / f"parallel-{i}.jsonl", [{"answer": a, "seconds": 5} for a in keyword_answers(20, self.rng)])
            procs.append(popen("start", "--count", "20", "--seed", str(i), "--answers", str(file), *self.judge(), data=data))
        errors = [p.communicate(timeout=600)[1].decode("utf-8", "replace") for p in procs]
        stored = rows(data, "SELECT count(*) FROM answers")[0][0]
        latest = rows(data, "SELECT (SELECT v.status FROM verdicts v WHERE v.answer_id = a.id ORDER BY v.id DESC LIMIT 1),"
                            " (SELECT v.verdict_json FROM verdicts v WHERE v.answer_id = a.id ORDER BY v.id DESC LIMIT 1)"
                            " FROM answers a")
        ungraded = sum(1 for status, _ in latest if status != "graded")
        locked = sum("locked" in e for e in errors) + sum(p.returncode != 0 for p in procs)
        self.report(f"ungraded by error, {n} parallel runs on one data dir", ungraded + (n * 20 - stored) + locked, 0,
                    f"{stored}/{n * 20} answers stored, {n * 20 - ungraded - (n * 20 - stored)} graded, "
                    f"{locked} failed runs or 'database is locked'")

    def migration_kills(self) -> None:
        from interviewer.store import Store

        def child(d: Path, kill_at: int = 0, keep: int = 0, pause: float = 0.0, go: str = "") -> subprocess.Popen:
            return subprocess.Popen([sys.executable, "-m", "tests.migration_child", str(d), str(kill_at), str(keep),
                                     str(pause), go], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        def count(keep: int) -> int:
            d = self.tmp / f"count-{keep}"
            if keep:
                child(d, keep=keep).wait()
            out, _ = child(d).communicate()
            return int(out.split()[-1])

        def opens(d: Path) -> bool:
            try:
                Store.open(d).close()
                return True
            except Exception:  # noqa: BLE001 - any failure is a database that does not open
                return False

        n = self.args.kills * 3
        bad = kills = 0
        for keep, what in ((0, "first open"), (2, "upgrade")):
            total = count(keep)
            for k in range(n):
                d = self.tmp / f"mig-{keep}-{k}"
                if keep:
                    child(d, keep=keep).wait()
                p = child(d, kill_at=self.rng.randint(1, total))
                p.communicate()
                kills += p.returncode == -signal.SIGKILL
                bad += not opens(d)
        rounds = 5
        for r in range(rounds):
            d, go = self.tmp / f"concurrent-{r}", self.tmp / f"go-{r}"
            procs = [child(d, pause=0.005, go=str(go)) for _ in range(4)]
            time.sleep(0.6)
            go.write_text("go")
            bad += sum(p.wait() != 0 for p in procs)
            bad += not opens(d)
        self.report(f"DBs unopenable after {kills} kills during migration", bad, 0,
                    f"{n} first opens + {n} upgrades of a populated DB, and {rounds} rounds of 4 concurrent first opens")

    def orphan_workers(self) -> None:
        from interviewer.store import Store
        from reports.records import AnswerRecord, SessionRecord, SessionSettings

        data = self.tmp / "orphans"
        store = Store.open(data)
        qid = "attention-mha-mqa-gqa"
        store.create_session(SessionRecord(id="many", status="finished", settings=SessionSettings(count=400), plan=[qid] * 400))
        for i in range(400):
            store.add_answer(AnswerRecord(session_id="many", position=i, question_id=qid,
                                          answer=f"Answer {i}: grouped-query attention shares keys and values."))
        store.close()
        self.respond(lambda b: Reply.json(verdict_for(b, "full", holistic=9)), delay=0.2)
        self.arrivals.clear()
        proc = popen("regrade", "many", "--all", "--workers", "2", *self.judge(), data=data)
        wait_for(lambda: len(self.arrivals) >= 8, timeout=120, what="workers calling the API")
        killed = time.monotonic()
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        time.sleep(6.0)
        after = sum(t > killed + 0.05 for t in self.arrivals)
        self.report("requests after a killed parent (regrade --workers 2)", after, 0,
                    f"in the 6 s after SIGKILL; {len(self.arrivals)} requests in all")

    # --- secrets and hostile text ---------------------------------------------------------------
    def secrets(self) -> None:
        data = self.tmp / "secrets"
        env = {"MY_JUDGE_KEY": SECRET}
        judge = self.judge("--api-key-env", "MY_JUDGE_KEY")
        file = jsonl(self.tmp / "secrets.jsonl", [{"answer": a, "seconds": 5} for a in keyword_answers(3, self.rng)])
        outputs = []
        self.respond(echo_key_error)
        outputs.append(interviewer("start", "--count", "3", "--answers", str(file), *judge, data=data, env=env))
        outputs.append(interviewer("grade", "-q", "attention-mha-mqa-gqa", "-a", "-", *judge, "--no-cache",
                                   data=data, env=env, stdin="Grouped-query attention shares keys and values."))
        self.respond(echo_key_feedback)
        outputs.append(interviewer("regrade", "latest", *judge, data=data, env=env))
        for fmt in ("md", "html", "json"):
            outputs.append(interviewer("report", "latest", "--format", fmt, "-o", "-", data=data, env=env))
        for fmt in ("csv", "json", "parquet"):
            outputs.append(interviewer("export", "--format", fmt, "-o", str(data / "exports" / f"all.{fmt}"), data=data))
        echoed = sum(SECRET in str(r.headers) for r in self.server.requests)
        needles = [SECRET.encode(), OTHER_KEY.encode()]
        found = sum(p.read_bytes().count(n) for p in data.rglob("*") if p.is_file() for n in needles)
        found += stored_text_count(data, (SECRET, OTHER_KEY))  # a value split over overflow pages, too
        printed = sum((o.stdout + o.stderr).count(n) for o in outputs for n in needles)
        self.report("secrets found on disk after a key-echoing provider", found, 0,
                    f"and {printed} in printed output; the key was sent {echoed} times and echoed back")

    def hostile_text(self) -> None:
        from markdown_it import MarkdownIt

        data = self.tmp / "hostile"
        bank = self.tmp / "hostile-bank.yaml"
        bank.write_text(
            "topic: hostile\nquestions:\n  - id: hostile-q\n    difficulty: easy\n"
            f"    text: {{en: {json.dumps('What is E[m x]? [/bold] ' + HOSTILE_HTML + ' ' + ESCAPES)}}}\n"
            "    reference_answer: {en: \"Attention weighs values by query-key similarity.\"}\n", encoding="utf-8")
        self.respond(hostile_feedback)
        file = jsonl(self.tmp / "hostile.jsonl", [{"answer": f"{f} attention weighs values", "seconds": 5} for f in FORMULAS])
        start = interviewer("start", "--count", "4", "--answers", str(file), *self.judge(), data=data)
        out = self.tmp / "hostile.csv"
        interviewer("export", "--format", "csv", "-o", str(out), data=data)
        cells = [c for row in csv.reader(io.StringIO(out.read_text(encoding="utf-8"))) for c in row]
        live = sum(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)
        self.report("live formula cells in the CSV export", live, 0, f"of {len(cells)} cells")

        md = interviewer("report", "latest", "--format", "md", "-o", "-", data=data).stdout.decode("utf-8")
        tokens = MarkdownIt("commonmark", {"html": True}).enable("table").parse(md)
        flat = [t for tok in tokens for t in [tok, *(tok.children or [])]]
        raw = sum(t.type in ("html_block", "html_inline") for t in flat)
        bad_links = sum(t.type == "link_open" and "javascript:" in (t.attrGet("href") or "") for t in flat)
        self.report("raw HTML in the Markdown report", raw + bad_links, 0, f"HTML tokens {raw}, javascript: links {bad_links}")

        answer = self.tmp / "answer.txt"
        answer.write_text("Attention weighs values by query-key similarity.", encoding="utf-8")
        printed = [start,
                   interviewer("grade", "-q", "attention-mha-mqa-gqa", "-a", str(answer), *self.judge(), "--no-cache", data=data),
                   interviewer("report", "latest", "--format", "md", "-o", "-", data=data),
                   interviewer("report", "latest", "--format", "html", "-o", "-", data=data),
                   interviewer("bank", "show", "hostile-q", "--bank", str(bank)),
                   interviewer("bank", "list", "--topic", "hostile", "--bank", str(bank)),
                   interviewer("history", data=data)]
        esc = (b"\x1b", "\x9b".encode())
        on_screen = sum((p.stdout + p.stderr).count(e) for p in printed for e in esc)
        files = [p for p in data.rglob("*") if p.is_file() and not p.name.startswith("interviewer.db")]
        on_disk = sum(p.read_bytes().count(e) for p in files for e in esc) + stored_text_count(data, ("\x1b", "\x9b"))
        self.report("ESC bytes from model and bank text", on_screen + on_disk, 0,
                    f"{on_screen} printed (grade, report -o -, bank show/list, history), {on_disk} in the data dir")

    def alias_bomb(self) -> None:
        bomb = self.tmp / "bomb.yaml"
        bomb.write_text(alias_bomb(), encoding="utf-8")
        env = {**ENV, "INTERVIEWER_CACHE_DIR": str(self.tmp / "bank-cache")}
        code, err, rss = peak_rss_mib([sys.executable, "-m", "interviewer", "bank", "validate", str(bomb)], env)
        cached = sum(p.stat().st_size for p in (self.tmp / "bank-cache").rglob("*") if p.is_file())
        self.report("peak RSS for the alias bomb", round(rss), 150, f"{bomb.stat().st_size}-byte file of 9^9 values, "
                    f"exit {code}, {cached} bytes cached: {err.strip()[:60]}...", unit=" MiB")

    def flood(self) -> None:
        data = self.tmp / "flood"
        huge = "x" * (30 * 1024 * 1024)
        self.respond(lambda b: Reply.json(verdict_for(b, "full", holistic=9, feedback="Fine. " + huge)))
        file = jsonl(self.tmp / "flood.jsonl", [{"answer": a, "seconds": 5} for a in keyword_answers(2, self.rng)])
        interviewer("start", "--count", "2", "--answers", str(file), *self.judge(), data=data)
        db = sum(p.stat().st_size for p in data.iterdir() if p.name.startswith("interviewer.db")) / 2**20
        rep = max(p.stat().st_size for p in (data / "reports").iterdir()) / 2**20
        self.report("MiB stored after two 30 MiB model replies", round(db + rep, 2), 2, f"database {db:.2f}, "
                    f"largest report {rep:.2f}", unit=" MiB")

    def run(self) -> int:
        started = time.monotonic()
        print(f"reliability benchmark (seed {self.args.seed}; work dir {self.tmp})", flush=True)
        steps = [self.scripted_kills, self.tui_kills, self.parallel_runs, self.migration_kills, self.secrets,
                 self.hostile_text, self.alias_bomb, self.orphan_workers, self.full_disk, self.flood]
        if self.args.only:
            steps = [s for s in steps if s.__name__ in self.args.only]
        try:
            for step in steps:
                step()
        finally:
            self.server.stop()
            if not self.args.keep:
                shutil.rmtree(self.tmp, ignore_errors=True)
        bad = [label for label, _, ok in self.results if not ok]
        print(f"{len(self.results) - len(bad)} of {len(self.results)} figures within bounds "
              f"in {time.monotonic() - started:.0f} s" + (f"; out of bound: {', '.join(bad)}" if bad else ""))
        return 1 if bad else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=10, help="kills of scripted runs (x3 for migrations)")
    ap.add_argument("--tui-kills", type=int, default=5)
    ap.add_argument("--parallel", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", action="store_true", help="keep the work dir")
    ap.add_argument("--only", nargs="*", metavar="STEP", help="run only these steps (method names, e.g. hostile_text)")
    sys.exit(Bench(ap.parse_args()).run())


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()
