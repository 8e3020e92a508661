"""Run the `interviewer` CLI on a disk that fills up on demand, for tests: while the flag file
exists, no database the process opens may grow by a single page (SQLite's ``PRAGMA
max_page_count``), which is what a full disk looks like to SQLite, without root or a real disk.

    python -m tests.full_disk FLAG_FILE interviewer-args...
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

UNLIMITED = 1073741823


def limit(store, full: bool) -> None:  # noqa: ANN001 - an interviewer.store.Store
    with store._lock:
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0] if full else UNLIMITED
        store.conn.execute(f"PRAGMA max_page_count = {pages}")


def main() -> None:
    flag = Path(sys.argv[1])
    from interviewer import store as store_module

    stores = []
    original = store_module.Store.__init__

    def init(self, *args, **kw) -> None:  # noqa: ANN001, ANN002, ANN003
        original(self, *args, **kw)
        if not self.read_only:
            limit(self, flag.exists())
            stores.append(self)

    store_module.Store.__init__ = init

    def watch() -> None:
        last = flag.exists()
        while True:
            now = flag.exists()
            if now != last:
                for s in stores:
                    limit(s, now)
                last = now
            time.sleep(0.02)

    threading.Thread(target=watch, daemon=True).start()
    sys.argv = ["interviewer", *sys.argv[2:]]
    from interviewer.cli import main as cli

    cli()


if __name__ == "__main__":
    main()
