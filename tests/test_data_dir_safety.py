"""The data dir under stress: session references are literal, a damaged database is reported before
the first question, a report killed mid-write leaves the previous one, and the read-only commands
work on a data dir they cannot write to."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from interviewer.store import DB_NAME, Store
from reports.records import AnswerRecord, SessionRecord, SessionSettings
from tests.llm_server import Reply, verdict_for
from tests.test_cli_e2e import ROOT, answers_file, one_line_error, run


def scripted_session(tmp_path: Path, data: Path, answer: str = "Attention weighs values by query-key similarity.") -> str:
    proc = run("start", "--count", "1", "--seed", "5", "--answers", str(answers_file(tmp_path, [{"answer": answer}])),
               data_dir=data)
    assert proc.returncode == 0, proc.stderr
    return json.loads(run("history", "--json", data_dir=data).stdout)[-1]["session_id"]


def test_session_references_are_literal_not_patterns(tmp_path):
    store = Store.open(tmp_path)
    for sid in ("20240101-000000-aaaaaa", "20240102-000000-bbbbbb"):
        store.create_session(SessionRecord(id=sid, settings=SessionSettings(), plan=[]))
    for ref in ("%", "_", "2024%", "2024010_"):
        with pytest.raises(Exception, match="no session"):
            store.get_session(ref)
    assert store.get_session("20240102").id == "20240102-000000-bbbbbb"
    with pytest.raises(Exception, match="ambiguous"):
        store.get_session("2024")
    store.close()
    assert "no session '%'" in one_line_error(run("report", "%", data_dir=tmp_path))


def _corrupt_answers_table(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        page = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'answers'").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    with db.open("r+b") as f:  # scribble over the table's b-tree page, as a bad sector would
        f.seek((page - 1) * size)
        f.write(b"\x0d\xff\xff\xff" + os.urandom(64) + b"\xff" * 200)


def test_a_damaged_database_is_reported_on_open_before_the_first_question(tmp_path):
    data = tmp_path / "data"
    scripted_session(tmp_path, data)
    _corrupt_answers_table(data / DB_NAME)
    for args in (["history"], ["report", "latest"], ["export", "--format", "csv", "-o", "-"]):
        line = one_line_error(run(*args, data_dir=data))
        assert "is damaged" in line and "move it aside" in line, line
    ans = answers_file(tmp_path, [{"answer": "an answer that must not be asked for"}])
    proc = run("start", "--count", "1", "--answers", str(ans), data_dir=data)
    line = one_line_error(proc)
    assert "is damaged" in line
    assert "Overall" not in proc.stdout and "Mock interview" not in proc.stdout


def _big_session(data: Path, chars: int) -> str:
    """A session with one huge answer (its report is about ``chars`` long), written directly."""
    store = Store.open(data)
    store.create_session(SessionRecord(id="big-session", settings=SessionSettings(count=1), plan=["attention-mha-mqa-gqa"]))
    text = ("Softmax over scaled scores keeps gradients alive. " * (chars // 50 + 1))[:chars]
    store.add_answer(AnswerRecord(session_id="big-session", position=0, question_id="attention-mha-mqa-gqa", answer=text))
    store.close()
    return "big-session"


def _report_cmd(out: Path, data: Path) -> list[str]:
    return [sys.executable, "-m", "interviewer", "report", "latest", "--format", "md", "-o", str(out), "--data-dir", str(data)]


ENV = {**os.environ, "INTERVIEWER_BANK": "", "PYTHONDONTWRITEBYTECODE": "1"}


@pytest.mark.timeout(120)
def test_a_report_killed_mid_write_leaves_the_previous_report(tmp_path):
    """SIGKILL the moment the new report starts reaching the disk (the target or a file beside it
    grows): the previous report must still be there, whole."""
    data, out = tmp_path / "data", tmp_path / "out" / "report.md"
    _big_session(data, 16_000_000)
    out.parent.mkdir()
    assert subprocess.run(_report_cmd(out, data), cwd=ROOT, env=ENV, capture_output=True, timeout=100).returncode == 0
    before = out.read_bytes()
    stat = out.stat()
    proc = subprocess.Popen(_report_cmd(out, data), cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while proc.poll() is None:
            now = out.stat() if out.exists() else None
            growing = [p for p in out.parent.iterdir() if p != out and p.stat().st_size > 0]
            if growing or now is None or (now.st_ino, now.st_size, now.st_mtime_ns) != (stat.st_ino, stat.st_size, stat.st_mtime_ns):
                proc.send_signal(signal.SIGKILL)
                break
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the report was written before it could be killed"
    assert out.read_bytes() == before


def test_a_report_cut_short_by_a_full_disk_leaves_the_previous_report(tmp_path):
    data, out = tmp_path / "data", tmp_path / "report.md"
    _big_session(data, 200_000)
    assert subprocess.run(_report_cmd(out, data), cwd=ROOT, env=ENV, capture_output=True, timeout=100).returncode == 0
    before = out.read_bytes()

    def limit_file_size() -> None:  # writes past 64 KiB fail with EFBIG, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    proc = subprocess.run(_report_cmd(out, data), cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=100,
                          preexec_fn=limit_file_size)
    assert "cannot write" in one_line_error(proc)
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def _read_only_runner():
    """Run as a user for whom the data dir is read-only (root ignores permission bits, so root
    runs the command without the capability to override them)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot make a directory read-only")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def test_read_only_commands_work_on_a_read_only_data_dir(tmp_path, llm_server):
    data = tmp_path / "data"
    sid = scripted_session(tmp_path, data)
    for p in [*data.rglob("*"), data]:
        p.chmod(0o555 if p.is_dir() else 0o444)
    prefix = _read_only_runner()

    def ro(*args: str):
        return subprocess.run([*prefix, sys.executable, "-m", "interviewer", *args, "--data-dir", str(data)], cwd=ROOT,
                              env=ENV, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)

    try:
        hist = ro("history", "--json")
        assert hist.returncode == 0, hist.stderr
        assert json.loads(hist.stdout)[-1]["session_id"] == sid
        assert ro("progress", "--json").returncode == 0
        rep = ro("report", "latest", "--format", "json", "-o", "-")
        assert rep.returncode == 0, rep.stderr
        assert json.loads(rep.stdout)["session_id"] == sid
        exp = ro("export", "--format", "csv", "-o", "-")
        assert exp.returncode == 0 and sid in exp.stdout
        llm_server.set_default(lambda body: Reply.json(verdict_for(body, "full", holistic=9)))
        (answer := tmp_path / "a.txt").write_text("Attention weighs values by query-key similarity.", encoding="utf-8")
        graded = ro("grade", "-q", "attention-mha-mqa-gqa", "-a", str(answer), "--judge", "openai/test-model",
                    "--api-base", llm_server.base_url, "--json")  # an LLM judge grades, without its cache
        assert graded.returncode == 0, graded.stderr
        assert json.loads(graded.stdout)["status"] == "graded" and llm_server.count == 1
        # writing commands still say clearly what is wrong
        ans = answers_file(tmp_path, [{"answer": "x"}])
        assert "not writable" in one_line_error(ro("start", "--count", "1", "--answers", str(ans)))
        assert "cannot write" in one_line_error(ro("report", "latest"))  # the default output is in the data dir
    finally:
        for p in [data, *data.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
    assert not any(p.name.endswith("-wal") for p in data.iterdir())


def test_store_records_are_unchanged_by_a_read_only_open(tmp_path):
    store = Store.open(tmp_path)
    s = SessionRecord(id="s1", settings=SessionSettings(), plan=["q"])
    store.create_session(s)
    store.add_answer(AnswerRecord(session_id="s1", position=0, question_id="q", answer="text"))
    store.close()
    ro = Store(tmp_path / DB_NAME, read_only=True)
    assert [a.answer for a in ro.answers("s1")] == ["text"]
    with pytest.raises(Exception, match="cannot write"):
        ro.save_draft("s1", 1, "draft")
    ro.close()
