"""Usage errors (unknown option, missing argument, bad value) are the user's mistake: said as such,
with the command's usage line, never as an "internal error"."""

from __future__ import annotations

import pytest



@pytest.mark.parametrize(
    ("args", "message", "usage"),
    [
        (("start", "--no-such-option", "1"), "error: No such option: --no-such-option", "Usage: interviewer start [OPTIONS]"),
        (("start", "--count", "abc"), "error: Invalid value for '--count'", "Usage: interviewer start [OPTIONS]"),
        (("bank", "show"), "error: Missing argument", "Usage: interviewer bank show [OPTIONS]"),
        (("report", "a", "b"), "error: Got unexpected extra argument", "Usage: interviewer report [OPTIONS]"),
        (("nosuchcmd",), "error: No such command 'nosuchcmd'", "Usage: interviewer [OPTIONS] COMMAND"),
    ],
)
def test_usage_errors_show_the_usage_line(cli, args, message, usage):
    code, _, err = cli(*args)
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith(message), err
    assert lines[1].startswith(usage) and "--help" in lines[1], lines
    assert "internal error" not in err and "Traceback" not in err
