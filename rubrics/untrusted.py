"""Making text we did not write (model replies, bank files, answers) safe where it ends up.

A terminal obeys escape sequences: a model's feedback or a custom bank's question could clear the
screen, retitle the window or write the clipboard (OSC 52). A spreadsheet runs a CSV cell that
starts with ``=``, ``+``, ``-`` or ``@`` as a formula. So such text is stripped of control sequences
before it is printed, and CSV cells are defused as OWASP advises (a leading ``'``).
"""

from __future__ import annotations

import re

_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, clear screen
    r"|\x1b\][^\x07\x1b]{0,4096}(?:\x07|\x1b\\)"  # OSC, ended by BEL or ST: window title, clipboard, links
    r"|\x1b[PX^_][^\x1b]{0,4096}\x1b\\"  # DCS, SOS, PM, APC strings
    r"|\x1b[ -/]*[0-~]?"  # any other escape, and a lone ESC
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|\x9d[^\x07\x1b\x9c]{0,4096}(?:\x07|\x1b\\|\x9c)"  # 8-bit OSC
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"  # other C0 controls (tab and newline kept), DEL, C1 (8-bit CSI)
)

#: Cell openings a spreadsheet treats as a formula (OWASP "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def strip_controls(text: str) -> str:
    """``text`` without terminal control sequences; tabs and newlines stay."""
    return _CONTROL.sub("", text) if text else text


def csv_cell(value: object) -> object:
    """A string cell that cannot run as a formula (prefixed with ``'``); other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
