"""Load test: agents, customers and experts at once against gunicorn, a kill -9 in the middle, an audit.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/load.py                  # 5 minutes on SQLite
    HF_HUB_OFFLINE=1 .venv/bin/python bench/load.py --seconds 60     # a short run while developing
    HF_HUB_OFFLINE=1 .venv/bin/python bench/load.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/vraagbaak_load

Prints ONE JSON object on stdout; progress goes to stderr. Steps:

1. A fresh instance under bench/.cache/load/ (the PostgreSQL database named in --database-url is dropped
   and created; its name must contain "load"): `flask db upgrade`, `flask demo load`, `flask kb reindex`
   with the product's default embedders. Then, with the product's own functions, a 24/7 service desk with
   short promises, so escalations happen within minutes (see `shorten_promises`).
2. gunicorn (`app:create_app()`, production config, background jobs every few seconds) on 127.0.0.1, plus a
   separate scheduler: `flask routing tick` run in a loop, so three processes race for every escalation.
3. Client threads for --seconds: agents type searches and take in questions (web form and API token),
   customers search, ask (web form and API) and follow their questions, experts work their inbox
   (accept, answer, ask the customer, forward; some let the accept window lapse), an administrator marks
   an expert away and back. Every request is timed on the client.
4. Half-way: kill -9 of one gunicorn worker and of the running `flask routing tick`; gunicorn respawns the
   worker, the tick loop restarts after a pause.
5. After the server has stopped: an audit of the database with the product's models (lost questions,
   escalations that fired twice; see README).

Everything stays on the loopback interface, and the run is bounded by --seconds, --max-requests and
--time-limit; the server's process group is stopped in every case.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# The bench's own instance decides; an operator's settings in the environment would override it.
for _name in ("DATABASE_URL", "INDEX_DIR", "VRAAGBAAK_ENV", "SECRET_KEY", "REDIS_URL", "FLASK_APP"):
    os.environ.pop(_name, None)

FOLDER = os.path.join(ROOT, "bench", ".cache", "load")
INSTANCE = os.path.join(FOLDER, "instance")
DEMO = os.path.join(ROOT, "app", "demo", "data")
BIN = os.path.dirname(sys.executable)
SEED = 20260307
PASSWORD = "vraagbaak-demo"  # the demo password (DEMO_PASSWORD's default)
TAG = re.compile(r"\[load (\w+-\d+)\]")


def log(*parts) -> None:
    print(f"[{time.strftime('%H:%M:%S')}]", *parts, file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# The instance
# ---------------------------------------------------------------------------------------------

def database_url(args) -> str:
    if not args.database_url:
        return "sqlite:///" + os.path.join(FOLDER, "vraagbaak.db")
    from app.config import normalise_database_url

    return normalise_database_url(args.database_url)


def recreate_postgres_database(url: str) -> None:
    """Drop and create the bench's own database; never one the test suite or anyone else uses."""
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = parsed.database or ""
    if "load" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: the load test's database name must contain 'load'")
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def write_config(args, url: str, mail_port: int | None) -> None:
    os.makedirs(INSTANCE, exist_ok=True)
    seven_days = {day: ("00:00", "23:59:59") for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    with open(os.path.join(INSTANCE, "config.py"), "w") as f:
        f.write("# Written by bench/load.py: production settings for a load test on the loopback interface.\n")
        f.write(f'VRAAGBAAK_ENV = "production"\nSECRET_KEY = {secrets.token_hex(32)!r}\n')
        f.write(f"SQLALCHEMY_DATABASE_URI = {url!r}\n")
        f.write(f"INDEX_DIR = {os.path.join(FOLDER, 'index')!r}\n")
        f.write(f"BACKGROUND_INTERVAL_SECONDS = {args.interval}\n")
        f.write("# A 24/7 desk: promises count every hour, so the run behaves the same at any time of day.\n")
        f.write(f"BUSINESS_HOURS = {seven_days!r}\n")
        f.write("# Every client comes from 127.0.0.1: lift the public limits (the limiter itself still runs).\n")
        f.write("from app.ratelimit import DEFAULT_LIMITS as _limits\n"
                "RATE_LIMITS = {group: (10**9, window) for group, (_, window) in _limits.items()}\n")
        f.write("BASE_URL = 'http://127.0.0.1'\n")
        if mail_port:
            f.write(f"MAIL_SERVER = '127.0.0.1'\nMAIL_PORT = {mail_port}\nMAIL_FROM = 'vraagbaak@load.test'\n")


def flask_env() -> dict:
    env = dict(os.environ)
    env.update(VRAAGBAAK_INSTANCE_PATH=INSTANCE, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", FLASK_APP="app")
    return env


def flask_command(*words: str, timeout: float = 600) -> str:
    started = time.perf_counter()
    done = subprocess.run([os.path.join(BIN, "flask"), "--app", "app", *words], cwd=ROOT, env=flask_env(),
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(words)} failed:\n{done.stderr[-3000:]}")
    log(f"flask {' '.join(words)}: {time.perf_counter() - started:.1f}s", done.stdout.strip().splitlines()[-1:])
    return done.stdout


def make_app():
    os.environ["VRAAGBAAK_INSTANCE_PATH"] = INSTANCE
    from app import create_app

    return create_app()


def shorten_promises(app, args) -> dict:
    """Promises short enough that every escalation rule fires within a few minutes, set the way an
    administrator would (the product's own functions): a 24/7 desk (BUSINESS_HOURS in the config and
    every expert's working hours), the organisation's default policy and every topic's answering within 1
    business hour, accepting within --accept-minutes, alarming --alarm-before minutes before due. Priorities scale this
    (urgent ×0.25, low ×2). Also issues the agents' API tokens (what `flask users token` does)."""
    from datetime import time as clock_time

    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from app.auth.session import issue_api_token
    from app.extensions import db
    from knowledge.models import User, UserRole
    from routing.availability import set_working_hours
    from routing.models import WEEKDAYS, Question, RoutingPolicy
    from routing.sla import set_policy

    with app.app_context(), Session(db.engine) as session:
        people = session.scalars(select(User).order_by(User.id)).all()
        experts = [u for u in people if u.has_role("expert")]
        for user in experts:
            set_working_hours(session, user.id, {day: (clock_time(0, 0), clock_time(23, 59, 59)) for day in WEEKDAYS})
        coordinator = next(u for u in experts if u.email.startswith(args.coordinator))
        set_policy(session, topic_id=None, accept_within_minutes=args.accept_minutes, answer_within_hours=1,
                   escalate_before_minutes=args.alarm_before, coordinator_id=coordinator.id)
        # The demo's own promises per topic would outlast the run (no alarm would fire): the same short
        # promise for each, each keeping the topic's coordinator.
        for policy in session.scalars(select(RoutingPolicy).where(RoutingPolicy.topic_id.is_not(None))).all():
            set_policy(session, topic_id=policy.topic_id, accept_within_minutes=args.accept_minutes,
                       answer_within_hours=1, escalate_before_minutes=args.alarm_before,
                       coordinator_id=policy.coordinator_id or coordinator.id)
        tokens = {u.email: issue_api_token(u) for u in people if u.has_role("agent")}
        session.commit()
        return {
            "people": {u.email: {"id": u.id, "roles": sorted(u.roles), "name": u.name} for u in people},
            "tokens": tokens,
            "policy": {"accept_within_minutes": args.accept_minutes, "answer_within_business_hours": 1,
                       "escalate_before_minutes": args.alarm_before, "coordinator": coordinator.email,
                       "business_hours": "24/7 (config and every expert's working hours)"},
            "max_question_id": session.scalar(select(func.max(Question.id))) or 0,
        }


# ---------------------------------------------------------------------------------------------
# Processes: gunicorn, the tick loop, the mail sink
# ---------------------------------------------------------------------------------------------

def worker_pids(master: int) -> list[int]:
    try:
        with open(f"/proc/{master}/task/{master}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def stop_group(process: subprocess.Popen, grace: float = 30) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)


class Server:
    def __init__(self, workers: int, threads: int):
        self.port = free_port()
        self.access_log = os.path.join(FOLDER, "gunicorn-access.log")
        self.error_log = os.path.join(FOLDER, "gunicorn.log")
        cmd = [os.path.join(BIN, "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{self.port}",
               "--timeout", "120", "--graceful-timeout", "20", "--capture-output", "--no-control-socket",
               "--access-logfile", self.access_log, "--access-logformat", "%(p)s %(m)s %(U)s %(s)s %(L)s",
               "--error-logfile", self.error_log, "app:create_app()"]
        if threads > 1:
            cmd[1:1] = ["--threads", str(threads)]
        log("starting", " ".join(cmd))
        env = flask_env()
        env.pop("FLASK_APP")
        self.process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)

    def wait_healthy(self, timeout: float = 120) -> None:
        deadline = time.time() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.error_log}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/api/v1/health")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"gunicorn did not answer /api/v1/health within {timeout} s")
            time.sleep(0.5)

    def workers(self) -> list[int]:
        return worker_pids(self.process.pid)

    def pids_that_searched(self) -> set[int]:
        pids = set()
        try:
            with open(self.access_log) as f:
                for line in f:
                    parts = line.split()
                    if len(parts) >= 4 and parts[2] == "/api/v1/search" and parts[3] == "200":
                        pids.add(int(parts[0].strip("<>")))
        except OSError:
            pass
        return pids

    def stop(self) -> None:
        stop_group(self.process)


class TickLoop:
    """The separate scheduler: `flask routing tick` again and again, each run in its own process group."""

    def __init__(self, every: float):
        self.every = every
        self.current: subprocess.Popen | None = None
        self.current_started = 0.0
        self.runs: list[dict] = []
        self.paused_until = 0.0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self._loop, name="tick-loop", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            if time.time() < self.paused_until:
                self._stop.wait(0.2)
                continue
            started = time.time()
            with self._lock:
                self.current = subprocess.Popen(
                    [os.path.join(BIN, "flask"), "--app", "app", "routing", "tick"], cwd=ROOT, env=flask_env(),
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
                self.current_started = started
            try:
                out, err = self.current.communicate(timeout=300)
            except subprocess.TimeoutExpired:
                stop_group(self.current)
                out, err = "", "timed out"
            run = {"started": started, "seconds": round(time.time() - started, 2), "rc": self.current.returncode}
            found = re.search(r"Re-routed (\d+) .* and (\d+) .*; alarmed (\d+)", out or "")
            if found:
                run.update(rerouted_absent=int(found[1]), rerouted_not_accepted=int(found[2]), alarmed=int(found[3]))
            if run["rc"] not in (0, -signal.SIGKILL):
                run["error"] = (err or "").strip().splitlines()[-1:] or ["?"]
            elif "Could not escalate" in (err or ""):
                run["error"] = [line for line in err.splitlines() if "Could not escalate" in line][:1]
            self.runs.append(run)
            with self._lock:
                self.current = None
            self._stop.wait(self.every)

    def kill_mid_round(self, wait_up_to: float = 30) -> dict:
        """kill -9 a tick process that is well into its run (past its start-up, in the round)."""
        durations = sorted(r["seconds"] for r in self.runs if r["rc"] == 0) or [1.0]
        into = durations[len(durations) // 2] * 0.7
        deadline = time.time() + wait_up_to
        while time.time() < deadline:
            with self._lock:
                proc, started = self.current, self.current_started
                if proc is not None and proc.poll() is None and time.time() - started >= into:
                    self.paused_until = time.time() + 3600  # until restart()
                    os.killpg(proc.pid, signal.SIGKILL)
                    return {"pid": proc.pid, "seconds_into_run": round(time.time() - started, 2),
                            "median_run_seconds": durations[len(durations) // 2]}
            time.sleep(0.02)
        return {"pid": None, "note": "no tick process was running long enough to kill"}

    def restart(self) -> None:
        self.paused_until = 0.0

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=320)


class MailSink:
    """An SMTP server on 127.0.0.1 that only counts what it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                with sink.lock:
                    sink.received += 1
                return "250 OK"

        self.lock = threading.Lock()
        self.received = 0
        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


# ---------------------------------------------------------------------------------------------
# Client side: one HTTP connection per simulated person, cookies kept by hand
# ---------------------------------------------------------------------------------------------

class Stats:
    def __init__(self, max_requests: int):
        self.lock = threading.Lock()
        self.rows: list[tuple[float, str, int, float]] = []  # (wall time, endpoint, status or -1, ms)
        self.conn_errors: list[tuple[float, str, str]] = []
        self.max_requests = max_requests
        self.full = threading.Event()
        self.acknowledged: dict[str, dict] = {}  # reference → {tag, at}
        self.attempted: dict[str, dict] = {}  # tag → {at, outcome}

    def add(self, endpoint: str, status: int, ms: float) -> None:
        with self.lock:
            self.rows.append((time.time(), endpoint, status, ms))
            if len(self.rows) + len(self.conn_errors) >= self.max_requests:
                self.full.set()

    def connection_error(self, endpoint: str, error: Exception) -> None:
        with self.lock:
            self.conn_errors.append((time.time(), endpoint, type(error).__name__))


class Response:
    def __init__(self, status: int, headers, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def location(self) -> str:
        found = self.headers.get("Location") or ""
        parts = urllib.parse.urlsplit(found)
        return parts.path + (f"?{parts.query}" if parts.query else "")


class Client:
    """A browser or an integration: cookies by hand (production cookies are Secure, and the bench talks
    plain HTTP on the loopback interface, as behind a TLS-terminating proxy)."""

    def __init__(self, port: int, stats: Stats, bearer: str | None = None):
        self.port = port
        self.stats = stats
        self.cookies: dict[str, str] = {}
        self.bearer = bearer
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, endpoint: str, *, form: dict | None = None,
                json_body: dict | None = None, headers: dict | None = None, bearer: bool = False) -> Response | None:
        sent = dict(headers or {})
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            body = json.dumps(json_body)
            sent["Content-Type"] = "application/json"
        if bearer and self.bearer:
            sent["Authorization"] = f"Bearer {self.bearer}"
        elif self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=sent)
            raw = self.conn.getresponse()
            data = raw.read()
        except (OSError, http.client.HTTPException) as error:
            self.stats.connection_error(endpoint, error)
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            return None
        ms = (time.perf_counter() - started) * 1000
        self.stats.add(endpoint, raw.status, ms)
        if not bearer:
            for header in raw.msg.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                value = rest.split(";", 1)[0]
                if value and "expires=thu, 01 jan 1970" not in header.lower():
                    self.cookies[name.strip()] = value
                else:
                    self.cookies.pop(name.strip(), None)
        return Response(raw.status, raw.msg, data)

    def get(self, path: str, endpoint: str, **kw) -> Response | None:
        return self.request("GET", path, endpoint, **kw)

    def post(self, path: str, endpoint: str, **kw) -> Response | None:
        return self.request("POST", path, endpoint, **kw)

    def follow(self, response: Response | None, endpoint: str) -> Response | None:
        """A browser follows the redirect after a form (and so reads the flash message it left)."""
        if response is not None and response.status in (301, 302, 303) and response.location:
            return self.get(response.location, endpoint)
        return response


CSRF = re.compile(r'name="[\w-]*csrf_token"[^>]*value="([^"]+)"')
TRACKING = re.compile(r'href="https?://[^"/]+(/track/(VB-\d{4}-\d+)\?token=([\w-]+))"')
INBOX_REF = re.compile(r'href="/inbox/questions/(VB-\d{4}-\d+)"')
COLLEAGUE = re.compile(r'<option value="(\d+)">')


def csrf_of(response: Response | None) -> str | None:
    if response is None:
        return None
    found = CSRF.search(response.text)
    return found[1] if found else None


def sign_in(client: Client, email: str) -> bool:
    page = client.get("/login", "GET /login")
    token = csrf_of(page)
    if token is None:
        return False
    done = client.post("/login", "POST /login", form={"csrf_token": token, "email": email, "password": PASSWORD})
    return done is not None and done.status == 302


# ---------------------------------------------------------------------------------------------
# What people do
# ---------------------------------------------------------------------------------------------

class Material:
    """Queries and question texts from the demo organisation (English and Dutch)."""

    def __init__(self):
        articles = [json.loads(line) for line in open(os.path.join(DEMO, "articles.jsonl"), encoding="utf-8")
                    if line.strip()]
        questions = [json.loads(line) for line in open(os.path.join(DEMO, "questions.jsonl"), encoding="utf-8")
                     if line.strip()]
        self.topics = [t["slug"] for t in json.load(open(os.path.join(DEMO, "topics.json"), encoding="utf-8"))]
        self.queries = [a["title"].rstrip("?") for a in articles]
        self.queries += ["parking permit visitor", "green bin not emptied", "bulky waste pick up", "dog tax",
                         "passport appointment", "moving house address", "wmo support scooter", "building permit shed",
                         "afvalcontainer groter", "hondenbelasting afmelden", "bijzondere bijstand wasmachine",
                         "verhuizen adres doorgeven", "rijbewijs verlengen", "parkeervergunning bezoek"]
        self.texts = [q["text"] for q in questions] + [
            f"{a['title']} I could not find it on the website." for a in articles if a["audience"] == "public"]

    def typed(self, rng: random.Random) -> list[str]:
        """What the search box sends while someone types (debounced): growing prefixes of a query."""
        query = rng.choice(self.queries)
        if rng.random() < 0.4:
            query = " ".join(query.split()[: rng.randint(2, 4)])
        cuts = sorted({min(len(query), n) for n in (3, 5, 8, 12, 18, 26, len(query))})
        return [query[:n] for n in cuts if query[:n].strip()]


class World:
    """What the simulated people share: who is away, the stop signal, the questions customers follow."""

    def __init__(self, port: int, stats: Stats, material: Material, setup: dict, seconds: float):
        self.port = port
        self.stats = stats
        self.material = material
        self.setup = setup
        self.stop = threading.Event()
        self.away: set[str] = set()
        self.leaving: str | None = None  # the expert the administrator will mark away ...
        self.leaves_at = float("inf")  # ... who stops answering (still accepting) from this moment
        self.started = time.time()
        self.seconds = seconds
        self.counter = Counter()
        self.lock = threading.Lock()

    def running(self) -> bool:
        return not self.stop.is_set() and not self.stats.full.is_set()

    def think(self, rng: random.Random, low: float, high: float) -> None:
        self.stop.wait(rng.uniform(low, high))

    def tag(self, who: str) -> str:
        with self.lock:
            self.counter[who] += 1
            return f"{who}-{self.counter[who]}"

    def question_text(self, rng: random.Random, tag: str) -> str:
        return f"{rng.choice(self.material.texts)} [load {tag}]"

    def attempted(self, tag: str, channel: str) -> None:
        with self.stats.lock:
            self.stats.attempted[tag] = {"at": time.time(), "channel": channel, "outcome": None}

    def acknowledged(self, tag: str, reference: str | None, outcome: str) -> None:
        with self.stats.lock:
            self.stats.attempted[tag]["outcome"] = outcome
            if reference:
                self.stats.acknowledged[reference] = {"tag": tag, "at": time.time()}


def priority(rng: random.Random) -> str:
    return rng.choices(["normal", "high", "urgent", "low"], weights=[70, 15, 8, 7])[0]


def agent(world: World, email: str, seed: int) -> None:
    """Searches as the caller talks, then takes the question in (form or API) or answers it from an article."""
    rng = random.Random(seed)
    world.think(rng, 0, 5)  # people do not all sign in at the same second
    who = email.split("@")[0]
    web = Client(world.port, world.stats)
    api = Client(world.port, world.stats, bearer=world.setup["tokens"][email])
    if not sign_in(web, email):
        log(f"agent {email} could not sign in")
        return
    web.get("/frontoffice/", "GET /frontoffice/")
    while world.running():
        hits = []
        for query in world.material.typed(rng):
            r = web.get("/api/v1/search?" + urllib.parse.urlencode({"q": query, "as": "agent", "channel": "phone"}),
                        "GET /api/v1/search")
            if r is not None and r.status == 200:
                hits = (r.json() or {}).get("results", [])
            world.think(rng, 0.1, 0.3)
            if not world.running():
                return
        roll = rng.random()
        if roll < 0.3:
            form_page = web.get("/frontoffice/questions/new", "GET /frontoffice/questions/new")
            token = csrf_of(form_page)
            if token:
                tag = world.tag(who)
                world.attempted(tag, "phone")
                done = web.post("/frontoffice/questions/new", "POST /frontoffice/questions/new", form={
                    "csrf_token": token, "text": world.question_text(rng, tag), "channel": rng.choice(["phone", "desk"]),
                    "priority": priority(rng), "topic": rng.choice(["", ""] + world.material.topics),
                    "name": "Caller", "phone": "0123-456789"})
                if done is None:
                    world.acknowledged(tag, None, "connection error")
                elif done.status == 302 and "/frontoffice/questions/" in done.location:
                    world.acknowledged(tag, done.location.rsplit("/", 1)[1], "created")
                    web.follow(done, "GET /frontoffice/questions/<ref>")
                else:
                    world.acknowledged(tag, None, f"HTTP {done.status}")
        elif roll < 0.45:
            tag = world.tag(who)
            world.attempted(tag, "api")
            done = api.post("/api/v1/questions", "POST /api/v1/questions (token)", bearer=True, json_body={
                "text": world.question_text(rng, tag), "channel": rng.choice(["email", "api"]),
                "priority": priority(rng), "customer": {"name": "Mail customer", "email": f"{tag}@customers.example.org"}})
            body = done.json() if done is not None else None
            world.acknowledged(tag, body.get("reference") if done is not None and done.status == 201 else None,
                               "connection error" if done is None else f"HTTP {done.status}")
        elif roll < 0.5:
            article = next((h for h in hits if h["kind"] == "article"), None)
            token = csrf_of(web.get("/frontoffice/questions/new", "GET /frontoffice/questions/new"))
            if article and token:
                tag = world.tag(who)
                world.attempted(tag, "phone")
                done = web.post("/frontoffice/answered-from-kb", "POST /frontoffice/answered-from-kb", form={
                    "csrf_token": token, "article_id": article["id"], "text": world.question_text(rng, tag),
                    "channel": "phone", "priority": "normal", "topic": ""})
                world.acknowledged(tag, None, "connection error" if done is None else f"HTTP {done.status}")
                web.follow(done, "GET /frontoffice/")
        world.think(rng, 1.5, 4.0)


def customer(world: World, seed: int) -> None:
    """Searches the public site, asks when nothing helps, follows their questions, replies and rates."""
    rng = random.Random(seed)
    world.think(rng, 0, 5)
    who = f"customer{seed % 1000}"
    browser = Client(world.port, world.stats)
    following: list[dict] = []
    while world.running():
        if following and rng.random() < 0.55:
            _follow_up(world, browser, following, rng)
        else:
            search_id = None
            for query in world.material.typed(rng)[-rng.randint(1, 3):]:
                if rng.random() < 0.5:
                    r = browser.get("/api/v1/search?" + urllib.parse.urlencode({"q": query}), "GET /api/v1/search")
                    body = r.json() if r is not None and r.status == 200 else None
                    if body and body["results"] and rng.random() < 0.3:
                        browser.get(body["results"][0]["url"], "GET /articles/<id>")
                else:
                    browser.get("/?" + urllib.parse.urlencode({"q": query}), "GET /?q= (public search)")
                world.think(rng, 0.2, 0.6)
            if rng.random() < 0.35:
                _ask(world, browser, following, rng, who)
        world.think(rng, 1.0, 3.0)


def _ask(world: World, browser: Client, following: list[dict], rng: random.Random, who: str) -> None:
    tag = world.tag(who)
    text = world.question_text(rng, tag)
    email = f"{tag}@customers.example.org" if rng.random() < 0.6 else ""
    world.attempted(tag, "web")
    if rng.random() < 0.6:
        token = csrf_of(browser.get("/ask", "GET /ask"))
        if token is None:
            world.acknowledged(tag, None, "no form")
            return
        done = browser.post("/ask", "POST /ask", form={"csrf_token": token, "text": text, "topic": "",
                                                        "name": "Web customer", "email": email})
        found = TRACKING.search(done.text) if done is not None and done.status == 200 else None
        if found:
            world.acknowledged(tag, found[2], "created")
            following.append({"reference": found[2], "token": found[3], "polls": 0})
        else:
            world.acknowledged(tag, None, "connection error" if done is None else f"HTTP {done.status}")
    else:
        done = browser.post("/api/v1/questions", "POST /api/v1/questions (web)", json_body={
            "text": text, "channel": "web", "customer": {"name": "Web customer", "email": email or None}})
        body = done.json() if done is not None and done.status == 201 else None
        if body:
            world.acknowledged(tag, body["reference"], "created")
            following.append({"reference": body["reference"], "token": body["tracking_token"], "polls": 0})
        else:
            world.acknowledged(tag, None, "connection error" if done is None else f"HTTP {done.status}")


def _follow_up(world: World, browser: Client, following: list[dict], rng: random.Random) -> None:
    item = rng.choice(following)
    item["polls"] += 1
    ref, token = item["reference"], item["token"]
    if rng.random() < 0.5:
        r = browser.get(f"/api/v1/questions/{ref}", "GET /api/v1/questions/<ref>", headers={"X-Tracking-Token": token})
        state = r.json() if r is not None and r.status == 200 else None
        if not state:
            return
        needs = state["info_requested"] or state["status"] in ("answered", "closed")
        if not needs:
            return
    page = browser.get(f"/track/{ref}?token={token}", "GET /track/<ref>")
    if page is None or page.status != 200:
        return
    csrf = csrf_of(page)
    if csrf and 'value="reply"' in page.text:
        done = browser.post(f"/track/{ref}", "POST /track/<ref> (reply)", form={
            "csrf_token": csrf, "token": token, "action": "reply", "message": "Here is what you asked: number 12."})
        browser.follow(done, "GET /track/<ref>")
    elif csrf and 'value="rate"' in page.text and not item.get("rated"):
        helpful = "no" if rng.random() < 0.15 else "yes"
        done = browser.post(f"/track/{ref}", "POST /track/<ref> (rate)", form={
            "csrf_token": csrf, "token": token, "action": "rate", "helpful": helpful, "comment": ""})
        browser.follow(done, "GET /track/<ref>")
        if helpful == "yes":
            item["rated"] = True
    if item.get("rated") or item["polls"] > 40:
        following.remove(item)


def expert(world: World, email: str, seed: int, lazy: bool) -> None:
    """Works the inbox, nearest promise first: accept, then answer, ask the customer or forward.
    Some questions are left alone (a lazy expert leaves them all), so the accept window lapses."""
    rng = random.Random(seed)
    world.think(rng, 0, 5)
    browser = Client(world.port, world.stats)
    if not sign_in(browser, email):
        log(f"expert {email} could not sign in")
        return
    skip_until: dict[str, float] = {}
    while world.running():
        if email in world.away:
            world.think(rng, 1.0, 2.0)
            continue
        inbox = browser.get("/inbox/", "GET /inbox/")
        refs = INBOX_REF.findall(inbox.text) if inbox is not None and inbox.status == 200 else []
        refs = [r for r in dict.fromkeys(refs) if skip_until.get(r, 0) < time.time()]
        if not refs or lazy:
            world.think(rng, 2.0, 4.0)
            continue
        ref = refs[0] if rng.random() < 0.7 else rng.choice(refs[:4])
        page = browser.get(f"/inbox/questions/{ref}", "GET /inbox/questions/<ref>")
        if page is None or page.status != 200:
            continue
        csrf = csrf_of(page)
        if f"/inbox/questions/{ref}/accept" in page.text:
            if rng.random() < 0.1:  # not now: the accept window will lapse and the scheduler hands it on
                skip_until[ref] = time.time() + 600
                continue
            world.think(rng, 0.3, 1.5)
            done = browser.post(f"/inbox/questions/{ref}/accept", "POST /inbox/questions/<ref>/accept",
                                form={"csrf_token": csrf})
            page = browser.follow(done, "GET /inbox/questions/<ref>")
            if page is None or page.status != 200:
                continue
            csrf = csrf_of(page) or csrf
        if email == world.leaving and time.time() >= world.leaves_at:
            skip_until[ref] = time.time() + 600  # accepted, then off to lunch before answering
            continue
        if f"/inbox/questions/{ref}/answer" not in page.text:
            skip_until[ref] = time.time() + 15  # waiting for the customer, or with a colleague now
            continue
        world.think(rng, 1.0, 3.0)  # reading and writing
        roll = rng.random()
        if roll < 0.12:
            action, form = "ask", {"message": "Which house number is it about?"}
        elif roll < 0.17 and COLLEAGUE.search(page.text):
            action, form = "forward", {"to_user_id": rng.choice(COLLEAGUE.findall(page.text)),
                                       "reason": "This is more your field; the customer called twice."}
        else:
            action, form = "answer", {"answer": "Thank you for your question.\n\nYou can do this online at "
                                                "**example.org/wadderveen**; it takes about five minutes."}
            if rng.random() < 0.03:
                form["worth_keeping"] = "y"
        done = browser.post(f"/inbox/questions/{ref}/{action}", f"POST /inbox/questions/<ref>/{action}",
                            form={"csrf_token": csrf, **form})
        browser.follow(done, "GET /inbox/" if action in ("answer", "forward") else "GET /inbox/questions/<ref>")
        world.think(rng, 0.5, 2.0)


def administrator(world: World, email: str, expert_email: str, away_at: float, back_at: float) -> dict:
    """Marks an expert away (their open questions must move) and later available again."""
    browser = Client(world.port, world.stats)
    person = world.setup["people"][expert_email]
    done: dict = {"expert": expert_email}
    if not sign_in(browser, email):
        done["error"] = "could not sign in"
        return done
    for presence, at in (("away", away_at), ("available", back_at)):
        world.stop.wait(max(0.0, world.started + at - time.time()))
        if not world.running():
            break
        page = browser.get(f"/admin/experts/{person['id']}", "GET /admin/experts/<id>")
        csrf = csrf_of(page)
        capacity = re.search(r'name="a-capacity"[^>]*value="(\d+)"', page.text if page else "")
        r = browser.post(f"/admin/experts/{person['id']}", "POST /admin/experts/<id>", form={
            "form": "availability", "a-csrf_token": csrf or "", "a-presence": presence,
            "a-capacity": capacity[1] if capacity else "5"})
        browser.follow(r, "GET /admin/experts/<id>")
        if presence == "away":
            world.away.add(expert_email)
        else:
            world.away.discard(expert_email)
        done[presence] = {"at_s": round(time.time() - world.started, 1), "status": r.status if r else None}
        log(f"admin marked {expert_email} {presence}")
    return done


# ---------------------------------------------------------------------------------------------
# Audit: the database as the product's models read it
# ---------------------------------------------------------------------------------------------

RESOLVED = ("answered", "closed", "answered_from_kb")


def audit(app, max_id_before: int, since: datetime, stats: Stats, kill_at: float | None,
          kill_window: tuple[float, float]) -> dict:
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from app.extensions import db
    from knowledge.models import User
    from routing.models import OPEN_STATUSES, Event, Notification, Question

    owned_statuses = tuple(s for s in OPEN_STATUSES if s != "new")  # 'new' has no owner yet: not routed
    with app.app_context(), Session(db.engine) as session:
        names = dict(session.execute(select(User.id, User.name)).all())
        active = set(session.scalars(select(User.id).where(User.active.is_(True))))
        questions = session.scalars(select(Question).where(Question.id > max_id_before).order_by(Question.id)).all()
        events = defaultdict(list)
        for ev in session.scalars(select(Event).where(Event.question_id > max_id_before).order_by(Event.id)):
            events[ev.question_id].append(ev)
        sent = session.scalar(select(func.count()).select_from(Notification).where(
            Notification.sent_at.is_not(None), Notification.created_at >= since)) or 0
        pending = session.scalar(select(func.count()).select_from(Notification).where(
            Notification.sent_at.is_(None), Notification.created_at >= since)) or 0

        by_ref = {q.reference: q for q in questions}
        by_tag = {}
        for q in questions:
            found = TAG.search(q.text)
            if found:
                by_tag[found[1]] = q

        def is_lost(q) -> bool:
            return not (q.status in RESOLVED or (q.status in owned_statuses and q.owner_id is not None))

        lost = [q for q in questions if is_lost(q)]
        missing = [ref for ref in stats.acknowledged if ref not in by_ref]  # told the client, not in the database
        duplicates, escalations, repeated_alarms = [], Counter(), 0
        for q in questions:
            owner, alarms, alarmed_due = None, 0, set()
            for ev in events[q.id]:
                payload = ev.payload or {}
                if ev.kind == "routed":
                    reason = payload.get("reason", "")
                    if ev.actor_id is None and reason.endswith("handed on"):
                        rule = "rerouted_not_accepted" if reason.startswith("not accepted") else "rerouted_absent"
                        escalations[rule] += 1
                        # A re-route takes the question from its current owner, who is therefore never
                        # among its candidates. If that owner is ranked, or the reason names someone else,
                        # this re-route acted on an assignment an earlier re-route had already ended.
                        ranked = {c.get("user_id") for c in payload.get("candidates", [])}
                        named = reason.split(" is not available")[0] if " is not available" in reason else None
                        if owner is not None and (owner in ranked or (named and named != names.get(owner))):
                            duplicates.append({"reference": q.reference, "kind": rule, "event_id": ev.id,
                                               "at": ev.at.isoformat()})
                    owner, alarms = payload.get("to_user_id"), 0
                elif ev.kind == "forwarded":
                    owner = payload.get("to_user_id")
                elif ev.kind == "escalated":
                    escalations["alarmed"] += 1
                    alarms += 1
                    # escalated_at is cleared only by a (re-)route: one alarm per assignment.
                    if alarms > 1:
                        duplicates.append({"reference": q.reference, "kind": "alarmed", "event_id": ev.id,
                                           "at": ev.at.isoformat()})
                    if payload.get("due_at") in alarmed_due:
                        repeated_alarms += 1
                    alarmed_due.add(payload.get("due_at"))

        in_doubt = [a for a in stats.attempted.values() if a["outcome"] == "connection error"]
        in_doubt_tags = [t for t, a in stats.attempted.items() if a["outcome"] == "connection error"]
        result = {
            "questions_created": len(questions),
            "questions_acknowledged": len(stats.acknowledged),
            "lost": len(lost) + len(missing),
            "lost_detail": {"without_owner": [f"{q.reference} {q.status} owner={q.owner_id}" for q in lost[:10]],
                            "acknowledged_but_missing": missing[:10]},
            "owned_by_inactive": sum(1 for q in questions if q.status in owned_statuses and q.owner_id not in active),
            "duplicate_escalations": len(duplicates),
            "duplicate_detail": duplicates[:10],
            "escalations": {"rerouted_not_accepted": escalations["rerouted_not_accepted"],
                            "rerouted_absent": escalations["rerouted_absent"], "alarmed": escalations["alarmed"],
                            "alarms_again_after_reroute_same_due": repeated_alarms},
            "statuses": dict(Counter(q.status for q in questions).most_common()),
            "creations_in_doubt": {"count": len(in_doubt),
                                   "found_in_database": sum(1 for t in in_doubt_tags if t in by_tag)},
            "notifications": {"sent": sent, "pending": pending},  # written during the run
        }
        if kill_at is not None:
            before, after = kill_window
            window = [q for q in questions if kill_at - before <= q.created_at.timestamp() <= kill_at + after]
            window_refs = {q.reference for q in window}
            dup_after = [d for d in duplicates
                         if datetime.fromisoformat(d["at"]).timestamp() >= kill_at - before]
            after_kill = sum(1 for evs in events.values() for ev in evs if ev.at.timestamp() >= kill_at and (
                ev.kind == "escalated" or (ev.kind == "routed" and ev.actor_id is None
                                           and (ev.payload or {}).get("reason", "").endswith("handed on"))))
            result["kill_test"] = {
                "window_s": [-before, after],
                "questions_in_window": len(window),
                "lost": sum(1 for q in window if is_lost(q)) + sum(
                    1 for ref, a in stats.acknowledged.items()
                    if ref not in by_ref and kill_at - before <= a["at"] <= kill_at + after),
                "duplicate_escalations": len(dup_after),
                "escalations_after_kill": after_kill,
                "in_window_refs_sample": sorted(window_refs)[:3],
            }
        return result


def server_log_summary(path: str, since: int) -> dict:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            f.seek(since)
            text = f.read()
    except OSError:
        return {}
    # The last line of each traceback: "package.SomeError: message" (numbers blanked, so alike ones count together).
    errors = [re.sub(r"\d+", "N", line[:160]) for line in text.splitlines()
              if re.match(r"[\w.]+(Error|Exception|Violation): ", line)]
    return {
        "tracebacks": text.count("Traceback (most recent call last)"),
        "database_is_locked": text.count("database is locked"),
        "background_round_failed": text.count("background round failed"),
        "question_not_escalated": text.count("escalating question"),
        "worker_timeouts": text.count("WORKER TIMEOUT"),
        "workers_booted": text.count("Booting worker"),
        "search_catch_up_failed": text.count("search index catch-up failed"),
        "distinct_errors": dict(Counter(errors).most_common(8)),
    }


# ---------------------------------------------------------------------------------------------

def summarise_requests(stats: Stats, t0: float, t1: float) -> dict:
    by: dict[str, list] = defaultdict(list)
    for at, endpoint, status, ms in stats.rows:
        by[endpoint].append((status, ms))
    conn = Counter(e for _, e, _ in stats.conn_errors)
    endpoints = {}
    for endpoint in sorted(set(by) | set(conn)):
        rows = by.get(endpoint, [])
        ms = [m for _, m in rows]
        endpoints[endpoint] = {
            "n": len(rows), "p50_ms": round(percentile(ms, 0.5), 1), "p95_ms": round(percentile(ms, 0.95), 1),
            "max_ms": round(max(ms), 1) if ms else 0.0,
            "4xx": sum(1 for s, _ in rows if 400 <= s < 500), "5xx": sum(1 for s, _ in rows if s >= 500),
            "connection_errors": conn.get(endpoint, 0),
        }
    all_ms = [m for *_, m in stats.rows]
    elapsed = max(t1 - t0, 1e-9)
    return {
        "seconds": round(elapsed, 1),
        "requests": len(stats.rows),
        "rps": round(len(stats.rows) / elapsed, 2),
        "errors_5xx": sum(1 for *_, s, _ in stats.rows if s >= 500),
        "errors_4xx": sum(1 for *_, s, _ in stats.rows if 400 <= s < 500),
        "connection_errors": len(stats.conn_errors),
        "p50_ms_all": round(percentile(all_ms, 0.5), 1),
        "p95_ms_all": round(percentile(all_ms, 0.95), 1),
        "p95_ms": {e: v["p95_ms"] for e, v in endpoints.items() if v["n"]},
        "p50_ms": {e: v["p50_ms"] for e, v in endpoints.items() if v["n"]},
        "endpoints": endpoints,
    }


def warm_up(server: Server, workers: int, timeout: float = 300) -> float:
    """Every worker opens its index and loads both models on its first searches; wait until each has
    answered some, so the run measures a warm service."""
    started = time.time()
    queries = ["parking permit", "hondenbelasting afmelden", "green bin", "verhuizen adres", "passport"]
    n = 0
    while time.time() - started < timeout:
        threads = []
        for _ in range(workers * 2):
            q = queries[n % len(queries)] + f" {n}"
            n += 1
            threads.append(threading.Thread(target=lambda q=q: _quiet_get(server.port, q)))
        for t in threads:
            t.start()
        round_started = time.time()
        for t in threads:
            t.join()
        if set(server.workers()) <= server.pids_that_searched() and time.time() - round_started < 2.0 and n > 8:
            return round(time.time() - started, 1)
    raise RuntimeError("the workers did not warm up")


def _quiet_get(port: int, q: str) -> None:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        conn.request("GET", "/api/v1/search?" + urllib.parse.urlencode({"q": q}))
        conn.getresponse().read()
    except OSError:
        pass


def _exit_on_sigterm(signum, frame):
    raise SystemExit(f"stopped by signal {signum}")


def main() -> None:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=300, help="length of the load phase")
    parser.add_argument("--max-requests", type=int, default=200_000, help="stop the load phase after this many")
    parser.add_argument("--time-limit", type=float, default=None,
                        help="hard limit for the whole script (default: --seconds + 900)")
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL instead of SQLite; the database is dropped and created (name must contain 'load')")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (1: sync workers)")
    parser.add_argument("--agents", type=int, default=3, help="agent clients (the demo has 3 agents + Kees)")
    parser.add_argument("--customers", type=int, default=6)
    parser.add_argument("--interval", type=float, default=5, help="BACKGROUND_INTERVAL_SECONDS of the server")
    parser.add_argument("--tick-every", type=float, default=8,
                        help="pause between runs of the separate `flask routing tick` (0: no separate scheduler)")
    parser.add_argument("--accept-minutes", type=int, default=1, help="policy: accept within (minutes)")
    parser.add_argument("--alarm-before", type=int, default=59,
                        help="policy: alarm this many minutes before due (due 60 min after routing)")
    parser.add_argument("--coordinator", default="annelies", help="policy coordinator (start of e-mail)")
    parser.add_argument("--kill-at", type=float, default=0.5, help="fraction of the run at which to kill -9")
    parser.add_argument("--no-kill", action="store_true")
    parser.add_argument("--no-mail", action="store_true", help="no SMTP sink: mail waits in the outbox")
    parser.add_argument("--fail-on-problems", action="store_true",
                        help="exit 1 when the run broke a promise (see `problems` in the output): CI's check")
    args = parser.parse_args()
    time_limit = args.time_limit or args.seconds + 900
    hard_deadline = time.time() + time_limit

    shutil.rmtree(FOLDER, ignore_errors=True)
    os.makedirs(FOLDER)
    url = database_url(args)
    if url.startswith("postgresql"):
        recreate_postgres_database(url)
    mail = None if args.no_mail else MailSink()
    write_config(args, url, mail.port if mail else None)
    result: dict = {"database": url.split(":", 1)[0] if url.startswith("sqlite") else url.rsplit("@", 1)[-1],
                    "workers": args.workers, "threads_per_worker": args.threads, "cpus": os.cpu_count(),
                    "loadavg_1m_start": round(os.getloadavg()[0], 2)}
    server = ticks = None
    world = None
    threads: list[threading.Thread] = []

    def watchdog():
        while time.time() < hard_deadline:
            time.sleep(1)
        log(f"time limit of {time_limit:.0f} s reached: stopping everything")
        for p in (server.process if server else None, ticks.current if ticks else None):
            if p is not None and p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        os._exit(3)

    threading.Thread(target=watchdog, name="watchdog", daemon=True).start()
    try:
        started = time.perf_counter()
        flask_command("db", "upgrade")
        flask_command("demo", "load")
        flask_command("kb", "reindex", timeout=900)
        app = make_app()
        setup = shorten_promises(app, args)
        result["setup_seconds"] = round(time.perf_counter() - started, 1)
        result["embedders"] = app.config["SEARCH_EMBEDDERS"]
        result["policy"] = setup["policy"]
        result["background_interval_seconds"] = args.interval

        run_since = datetime.now(timezone.utc)
        server = Server(args.workers, args.threads)
        server.wait_healthy()
        result["warmup_seconds"] = warm_up(server, args.workers)
        log(f"workers {server.workers()} warm after {result['warmup_seconds']} s")
        log_offset = os.path.getsize(server.error_log) if os.path.exists(server.error_log) else 0
        if args.tick_every > 0:
            ticks = TickLoop(args.tick_every)
            ticks.start()

        stats = Stats(args.max_requests)
        world = World(server.port, stats, Material(), setup, args.seconds)
        people = setup["people"]
        agents = [e for e, p in people.items() if "agent" in p["roles"] and "expert" not in p["roles"]]
        experts = [e for e, p in people.items() if "expert" in p["roles"]]
        lazy = next(e for e in experts if e.startswith("joke"))  # never accepts: her questions must move on
        away = next(e for e in experts if e.startswith("dennis"))
        admin = next(e for e, p in people.items() if "admin" in p["roles"])
        admin_report: dict = {}
        for i in range(args.agents):
            threads.append(threading.Thread(target=agent, args=(world, agents[i % len(agents)], SEED + i),
                                            name=f"agent-{i}", daemon=True))
        for i in range(args.customers):
            threads.append(threading.Thread(target=customer, args=(world, SEED + 100 + i), name=f"customer-{i}",
                                            daemon=True))
        for i, email in enumerate(experts):
            threads.append(threading.Thread(target=expert, args=(world, email, SEED + 200 + i, email == lazy),
                                            name=f"expert-{i}", daemon=True))
        threads.append(threading.Thread(
            target=lambda: admin_report.update(administrator(world, admin, away, args.seconds * 0.3,
                                                             args.seconds * 0.75)),
            name="admin", daemon=True))
        result["clients"] = {"agents": args.agents, "customers": args.customers, "experts": len(experts),
                             "lazy_expert": lazy, "admin": 1}
        log(f"load phase: {len(threads)} clients for {args.seconds:.0f} s")
        world.started = t0 = time.time()
        world.leaving, world.leaves_at = away, t0 + args.seconds * 0.3 - 20
        for t in threads:
            t.start()

        kill: dict = {}
        next_report = t0 + 30
        kill_time = None if args.no_kill else t0 + args.seconds * args.kill_at
        while world.running() and time.time() < t0 + args.seconds:
            now = time.time()
            if kill_time is not None and now >= kill_time and not kill:
                kill = kill_processes(server, ticks)
                kill_time = kill["at"]
            if now >= next_report:
                log(f"{now - t0:.0f}s: {len(stats.rows)} requests, {len(stats.conn_errors)} connection errors, "
                    f"{sum(1 for *_, s, _ in stats.rows if s >= 500)} 5xx, {len(stats.acknowledged)} questions")
                next_report += 30
            if kill and "respawned_after_s" not in kill:
                victim = kill["worker_pid"]
                live = server.workers()
                if victim not in live and len(live) >= args.workers:
                    kill["respawned_after_s"] = round(time.time() - kill["at"], 2)
            if kill and not kill.get("tick_restarted") and ticks and time.time() >= kill["at"] + 5:
                ticks.restart()
                kill["tick_restarted"] = round(time.time() - kill["at"], 2)
            time.sleep(0.1)
        world.stop.set()
        t1 = time.time()
        for t in threads:
            t.join(timeout=90)
        log("load phase over; stopping the scheduler and the server")
        if ticks:
            ticks.stop()
        server.stop()
        result.update(summarise_requests(stats, t0, t1))
        result["server_log"] = server_log_summary(server.error_log, log_offset)
        result.update(audit(app, setup["max_question_id"], run_since, stats, kill_time if kill else None, (10, 60)))
        if kill:
            in_flight = [(at, e, kind) for at, e, kind in stats.conn_errors if kill["at"] - 1 <= at <= kill["at"] + 15]
            result["kill_test"].update(
                connection_errors_during_kill=len(in_flight),
                connection_errors_by_endpoint=dict(Counter(e for _, e, _ in in_flight)),
                errors_5xx_during_kill=sum(1 for at, _, s, _ in stats.rows
                                           if s >= 500 and kill["at"] - 1 <= at <= kill["at"] + 15),
                **{k: v for k, v in kill.items() if k != "at"})
            if ticks:
                result["kill_test"]["tick_runs_after_restart"] = sum(
                    1 for r in ticks.runs if r["started"] > kill["at"] and r["rc"] == 0)
        if ticks:
            result["tick_loop"] = {
                "runs": len(ticks.runs), "ok": sum(1 for r in ticks.runs if r["rc"] == 0),
                "failed": [r["error"] for r in ticks.runs if r.get("error")][:5],
                "median_seconds": sorted(r["seconds"] for r in ticks.runs)[len(ticks.runs) // 2] if ticks.runs else None,
                **{k: sum(r.get(k, 0) for r in ticks.runs)
                   for k in ("rerouted_absent", "rerouted_not_accepted", "alarmed")}}
        result["admin"] = admin_report
        if mail:
            # A mail sent and then its sender killed before it could note that is sent again (at least once).
            result["notifications"]["received_by_smtp"] = mail.received
            result["notifications"]["extra_deliveries"] = mail.received - result["notifications"]["sent"]
        result["loadavg_1m_end"] = round(os.getloadavg()[0], 2)
        result["problems"] = problems_of(result)
    finally:
        if world is not None:
            world.stop.set()
        if ticks is not None:
            ticks._stop.set()
            if ticks.current is not None and ticks.current.poll() is None:
                stop_group(ticks.current, grace=10)
        if server is not None:
            server.stop()
        if mail is not None:
            mail.stop()
    print(json.dumps(result, ensure_ascii=False))
    if args.fail_on_problems and result["problems"]:
        log("load check failed: " + "; ".join(result["problems"]))
        sys.exit(1)


def problems_of(result: dict) -> list[str]:
    """The promises a run under load must keep, each broken one in a line: no server error, no question
    lost, no escalation fired twice, no traceback in the server's log, and load that really ran."""
    problems = []
    if not result.get("requests"):
        problems.append("no request got a response")
    if not result.get("questions_created"):
        problems.append("no question was taken in")
    if result.get("errors_5xx"):
        by_endpoint = {e: v["5xx"] for e, v in result.get("endpoints", {}).items() if v["5xx"]}
        problems.append(f"{result['errors_5xx']} responses 5xx: {by_endpoint}")
    if result.get("lost"):
        problems.append(f"{result['lost']} questions lost: {result.get('lost_detail')}")
    if result.get("duplicate_escalations"):
        problems.append(f"{result['duplicate_escalations']} escalations fired twice: {result.get('duplicate_detail')}")
    kill = result.get("kill_test") or {}
    if kill.get("lost") or kill.get("duplicate_escalations"):
        problems.append(f"after the kill: {kill.get('lost')} lost, {kill.get('duplicate_escalations')} fired twice")
    server_log = result.get("server_log") or {}
    if server_log.get("tracebacks"):
        problems.append(f"{server_log['tracebacks']} tracebacks in the server log: {server_log.get('distinct_errors')}")
    return problems


def kill_processes(server: Server, ticks: TickLoop | None) -> dict:
    """kill -9 one worker (its embedded scheduler dies with it) and the running `flask routing tick`."""
    out: dict = {}
    if ticks is not None:
        out["tick"] = ticks.kill_mid_round()
    victim = server.workers()[0]
    os.kill(victim, signal.SIGKILL)
    out["worker_pid"] = victim
    out["at"] = time.time()
    log(f"kill -9 worker {victim} and tick {out.get('tick', {}).get('pid')}")
    return out


if __name__ == "__main__":
    main()
