"""Where typed text goes when the database cannot take it (a full disk, a read-only data dir): a
plain file the candidate can find, or, when no file can be written either, stderr. A typed answer
must never exist only in a terminal that is about to close."""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path


def rescue_text(data_dir: Path, session_id: str, position: int, text: str) -> str:
    """Write ``text`` somewhere it survives this process; returns the sentence that says where."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    name = f"unsaved-{session_id}-q{position + 1}-{stamp}.txt"
    for folder in (data_dir / "unsaved", Path(tempfile.gettempdir()), Path.home()):
        path = folder / name
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            return f"the text you typed for question {position + 1} is in {path}"
        except OSError:
            try:
                path.unlink()
            except OSError:
                pass
    sys.stderr.write(f"----- your answer to question {position + 1} (not saved anywhere else) -----\n{text}\n"
                     "----- end of answer -----\n")
    sys.stderr.flush()
    return f"the text you typed for question {position + 1} is printed above"
