"""gunicorn as shipped: `gunicorn 'app:create_app()'` from the project root reads this file.

Each worker opens the search index and loads every configured model before it accepts a connection,
so the first search after a restart is as fast as the hundredth (measured by bench/cold_start.py).
Not in the master with `preload_app`: the index follows the change log in a thread, and threads (and
the models' thread pools) do not survive a fork.
"""
from __future__ import annotations

import os
import threading

bind = os.environ.get("VRAAGBAAK_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("VRAAGBAAK_WORKERS", "2"))
# gunicorn 27's control socket lives at one path per user (~/.gunicorn/gunicorn.ctl): two servers on one
# machine (a bench beside `make run`) would take it from each other. Nothing here uses it.
control_socket_disable = True


def post_worker_init(worker) -> None:
    """Runs in the worker after it loaded the app and before it serves. Loading the models takes longer
    than gunicorn's timeout on a busy machine, so a thread keeps the worker's heartbeat going meanwhile;
    if the warm-up fails the worker exits and the master says why."""
    from app.search import warm_up

    done = threading.Event()

    def heartbeat() -> None:
        while not done.wait(1.0):
            worker.notify()

    threading.Thread(target=heartbeat, name="warm-up-heartbeat", daemon=True).start()
    try:
        warm_up(worker.wsgi)
        # One request through the whole stack (its first-request hooks start the background jobs), so
        # the first caller's request is not the first this worker handles; it must say ready.
        answer = worker.wsgi.test_client().get("/api/v1/health")
        if answer.status_code != 200:
            raise RuntimeError(f"worker {worker.pid} not ready after warm-up: {answer.get_data(as_text=True)}")
        worker.log.info("worker %s: search warm (index open, models loaded)", worker.pid)
    finally:
        done.set()
