"""Cold start: how long a freshly started server takes to report ready, and how fast its first search is.

1. A temporary instance (SQLite, own index) with the demo loaded and indexed, as `make demo` does.
2. gunicorn as shipped (`gunicorn.conf.py` from the project root, `app:create_app()`) on a free port.
3. Seconds from starting gunicorn until `/api/v1/health` answers 200 ("ok", not 503 "starting").
4. Ten different searches over HTTP, one after another (none can use another's cached query vector):
   the first and the tenth in ms, as the caller sees them. The first is sent the moment health says
   ok; other workers may still be loading their models on the same cores (`all_workers_warm_seconds`
   says when the last one was done, from gunicorn's log), which is the honest cold case.

Goal: the first search after ready under 1 s (issue #12, "No cold start").

    HF_HUB_OFFLINE=1 .venv/bin/python bench/cold_start.py [--workers 2] [--keep]

Prints one JSON object on stdout; progress on stderr.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)

# Dutch and English, as the demo's callers ask; all different, and none the warm-up's own
# (app.search.WARM_UP_QUERIES), so each embeds its query afresh.
QUERIES = [
    "paspoort verlengen", "how do I renew my passport", "afval ophalen kliko", "parking permit",
    "verhuizing doorgeven", "rijbewijs verlopen", "bulky waste collection", "kwijtschelding belasting",
    "geboorteaangifte", "noise complaint neighbours",
]


def log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 60.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def warm_workers(server_log: str) -> int:
    """How many workers said "search warm" (gunicorn.conf.py's post_worker_init) in the log."""
    try:
        with open(server_log) as f:
            return sum("search warm" in line for line in f)
    except OSError:
        return 0


def prepare_instance(folder: str, env: dict) -> None:
    instance = os.path.join(folder, "instance")
    os.makedirs(instance)
    with open(os.path.join(instance, "config.py"), "w") as f:
        f.write("# Written by bench/cold_start.py\n")
        f.write('VRAAGBAAK_ENV = "production"\nSECRET_KEY = "bench-cold-start"\n')
        f.write(f"SQLALCHEMY_DATABASE_URI = {('sqlite:///' + os.path.join(folder, 'vraagbaak.db'))!r}\n")
    flask = os.path.join(BIN, "flask")
    for step in (["db", "upgrade"], ["demo", "load", "--if-empty"], ["kb", "reindex"]):
        log("flask", *step)
        subprocess.run([flask, "--app", "app", *step], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance and print its path")
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="vraagbaak-cold-start-")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "INDEX_DIR", "VRAAGBAAK_ENV", "SECRET_KEY")}
    env.update(VRAAGBAAK_INSTANCE_PATH=os.path.join(folder, "instance"), HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1", PYTHONPATH=ROOT)
    server = None
    try:
        prepare_instance(folder, env)
        port = free_port()
        env.update(VRAAGBAAK_BIND=f"127.0.0.1:{port}", VRAAGBAAK_WORKERS=str(args.workers))
        server_log = os.path.join(folder, "gunicorn.log")
        cmd = [os.path.join(BIN, "gunicorn"), "--error-logfile", server_log, "app:create_app()"]
        log("starting", " ".join(cmd), "on port", port)
        started = time.perf_counter()
        server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True)
        health_codes: dict[int, int] = {}
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {server.returncode}; see {server_log}")
            try:
                status, _ = get(f"http://127.0.0.1:{port}/api/v1/health", timeout=120)
                health_codes[status] = health_codes.get(status, 0) + 1
                if status == 200:
                    break
            except OSError:
                pass
            if time.perf_counter() - started > 300:
                raise RuntimeError("not ready within 300 s")
            time.sleep(0.1)
        ready_seconds = time.perf_counter() - started
        warm_at_ready = warm_workers(server_log)
        log(f"ready after {ready_seconds:.1f} s, {warm_at_ready} worker(s) warm")
        all_warm: list[float] = []

        def watch_workers() -> None:
            while warm_workers(server_log) < args.workers and time.perf_counter() - started < 300:
                time.sleep(0.1)
            all_warm.append(time.perf_counter() - started)

        watcher = threading.Thread(target=watch_workers, daemon=True)
        watcher.start()

        searches_ms, server_ms = [], []
        for query in QUERIES:
            url = f"http://127.0.0.1:{port}/api/v1/search?" + urllib.parse.urlencode({"q": query, "limit": 10})
            t0 = time.perf_counter()
            status, body = get(url)
            searches_ms.append(round((time.perf_counter() - t0) * 1000, 1))
            if status != 200:
                raise RuntimeError(f"search {query!r}: HTTP {status}: {body[:200]!r}")
            answer = json.loads(body)
            server_ms.append(answer["took_ms"])
            log(f"{query!r}: {searches_ms[-1]} ms (server {answer['took_ms']} ms), {len(answer['results'])} results")
        watcher.join()
        print(json.dumps({
            "workers": args.workers,
            "seconds_to_ready": round(ready_seconds, 1),
            "workers_warm_when_ready": warm_at_ready,
            "all_workers_warm_seconds": round(all_warm[0], 1),
            "loadavg_1m": os.getloadavg()[0],
            "health_answers_before_ready": {str(k): v for k, v in sorted(health_codes.items()) if k != 200},
            "first_search_ms": searches_ms[0],
            "tenth_search_ms": searches_ms[9],
            "searches_ms": searches_ms,
            "server_took_ms": server_ms,
            "goal_first_search_under_1s": searches_ms[0] < 1000,
        }, indent=2))
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        if args.keep:
            log("instance kept in", folder)
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
