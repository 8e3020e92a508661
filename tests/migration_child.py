"""A process that opens the store and can be killed at an exact point of its migrations, for tests
and benchmarks:

    python -m tests.migration_child DATA_DIR KILL_AT KEEP PAUSE GO_FILE

Every connection gets a trace callback that counts the SQL statements run, sleeps ``PAUSE``
seconds after each (so that concurrent openers really overlap) and SIGKILLs the process just
before statement number ``KILL_AT`` (0: never). ``KEEP`` > 0 limits the migrations to the first
``KEEP`` (an older version) and then writes some history. The process waits for ``GO_FILE`` to
exist before opening (empty: no wait), and prints ``STATEMENTS <n>`` when done.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
import time
from pathlib import Path


def main() -> None:
    data_dir, kill_at, keep, pause, go = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), \
        (sys.argv[5] if len(sys.argv) > 5 else "")
    count = [0]
    real_connect = sqlite3.connect

    def connect(*a, **k):  # noqa: ANN002, ANN003, ANN202
        conn = real_connect(*a, **k)

        def trace(_stmt: str) -> None:
            count[0] += 1
            if count[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            if pause:
                time.sleep(pause)

        conn.set_trace_callback(trace)
        return conn

    sqlite3.connect = connect
    from interviewer import migrations

    if keep:
        del migrations.MIGRATIONS[keep:]
    from interviewer.store import Store

    while go and not os.path.exists(go):
        time.sleep(0.005)
    store = Store.open(data_dir)
    if keep:  # an older version's database, with history in it
        store.conn.execute("INSERT INTO sessions (id, created_at, status, settings_json, plan_json) "
                           "VALUES ('old-session', '2024-01-01T00:00:00+00:00', 'finished', '{}', '[]')")
        store.conn.commit()
    store.close()
    print("STATEMENTS", count[0], flush=True)


if __name__ == "__main__":
    main()
