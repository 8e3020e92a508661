"""Driving the real terminal interview in tmux, for tests and benchmarks: a terminal of our own
(a private tmux server), keys sent as a user types them, the screen read back."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

from tests.helpers import wait_for


def tmux_available() -> bool:
    return shutil.which("tmux") is not None


class Tmux:
    """A 110x40 terminal running ``cmd``; the pane stays after the command exits and shows
    ``EXIT=<status>``."""

    def __init__(self, cmd: list[str], cwd: Path, env: dict | None = None) -> None:
        self.sock = f"mig-{uuid.uuid4().hex[:10]}"
        line = " ".join(_quote(c) for c in cmd) + "; echo EXIT=$?; sleep 600"
        full_env = {**os.environ, "INTERVIEWER_BANK": "", "TERM": "xterm-256color", **(env or {})}
        subprocess.run(["tmux", "-L", self.sock, "new-session", "-d", "-s", "t", "-x", "110", "-y", "40", "-c",
                        str(cwd), "sh", "-c", line], check=True, env=full_env)
        self.socket_path = subprocess.run(["tmux", "-L", self.sock, "display-message", "-p", "#{socket_path}"],
                                          capture_output=True, text=True).stdout.strip()

    def keys(self, *keys: str, literal: bool = False) -> None:
        subprocess.run(["tmux", "-L", self.sock, "send-keys", "-t", "t", *(["-l"] if literal else []), *keys], check=True)

    def screen(self) -> str:
        return subprocess.run(["tmux", "-L", self.sock, "capture-pane", "-p", "-J", "-S", "-200", "-t", "t"],
                              capture_output=True, text=True, check=True).stdout

    def wait(self, pattern: str, timeout: float = 60.0) -> re.Match:
        return wait_for(lambda: re.search(pattern, self.screen()), timeout, what=repr(pattern))

    def pid(self) -> int:
        """The pid of the command's process (the shell's child)."""
        shell = int(subprocess.run(["tmux", "-L", self.sock, "display-message", "-p", "-t", "t", "#{pane_pid}"],
                                   capture_output=True, text=True, check=True).stdout)
        kids = Path(f"/proc/{shell}/task/{shell}/children").read_text().split()
        return int(kids[0]) if kids else shell

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.sock, "kill-server"], capture_output=True)
        if self.socket_path:  # tmux leaves its socket file behind
            Path(self.socket_path).unlink(missing_ok=True)


def _quote(s: str) -> str:
    return "'" + s.replace("'", "'\"'\"'") + "'"
