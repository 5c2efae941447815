"""Mail intake throughput: how many messages per second one process takes in from a real IMAP server.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/mail_intake.py --messages 300

Starts a throw-away dovecot (tests/dovecot.py), appends N messages shaped like tests/mail_corpus/
(each with its own Message-ID), and times one process reading them all with `app.mail_fetch.fetch_all`:
IMAP fetch, MIME parsing, the intake rules, routing (expertise × availability × load over a few
experts), the commit per message and the \\Seen flag after it, on a fresh SQLite database. Prints ONE
JSON object on stdout.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from tests import dovecot as dovecot_server  # noqa: E402

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)  # a Monday morning: experts are in


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--embedders", choices=("hashing", "product"), default="hashing",
                        help="hashing: the small deterministic embedder (routing's similarity without model "
                             "load); product: the configured models")
    args = parser.parse_args()
    if not dovecot_server.available():
        sys.exit("no dovecot: apt-get install dovecot-imapd")

    from app import create_app
    from app.mail_fetch import fetch_all
    from knowledge.base import Base
    from routing.models import Question
    from tests.factories import make_expert

    work = Path(tempfile.mkdtemp(prefix="vb-mail-bench-"))
    work.chmod(0o755)  # dovecot's mail processes (dovenull, when run as root) must reach the maildir below
    url = f"sqlite:///{work / 'bench.db'}"
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        for name in ("Erik Expert", "Fatima Fiscaal", "Gijs Groen", "Hanna Huis", "Ivo Inwoner"):
            make_expert(session, name, capacity=10_000)
    engine.dispose()

    server = dovecot_server.Dovecot(work / "imap").start()
    try:
        corpus = sorted((ROOT / "tests" / "mail_corpus").glob("*.eml"))
        started = time.perf_counter()
        batch = []
        for n in range(args.messages):
            raw = corpus[n % len(corpus)].read_bytes()
            raw = _with_message_id(raw, f"<bench-{n}@klant.example.nl>")
            batch.append(raw)
        server.deliver(*batch)
        deliver_seconds = time.perf_counter() - started

        config = {"VRAAGBAAK_ENV": "testing", "TESTING": True, "SECRET_KEY": "bench-only",
                  "SQLALCHEMY_DATABASE_URI": url, "INDEX_DIR": str(work / "index"), "CLOCK": lambda: NOW,
                  "MAIL_MAILBOXES": [server.mailbox]}
        if args.embedders == "hashing":
            config |= {"SEARCH_EMBEDDERS": {"en": "hashing", "nl": "hashing"}, "SEARCH_SYNC": "before_search"}
        app = create_app(config)
        taken = {}
        started = time.perf_counter()
        while server.unseen():  # fetch_all reads a batch per mailbox per round, as the background round does
            report = fetch_all(app)
            for kind, count in report.outcomes.items():
                taken[kind] = taken.get(kind, 0) + count
        seconds = time.perf_counter() - started
        with Session(create_engine(url)) as session:
            questions = session.scalar(select(func.count(Question.id)))
    finally:
        server.stop()
    print(json.dumps({
        "messages": args.messages, "outcomes": taken, "questions": questions,
        "fetch_seconds": round(seconds, 3), "messages_per_second": round(args.messages / seconds, 1),
        "ms_per_message": round(1000 * seconds / args.messages, 2), "append_seconds": round(deliver_seconds, 3),
        "database": "sqlite", "embedders": args.embedders, "cpu_count": os.cpu_count(),
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }, indent=2))


def _with_message_id(raw: bytes, message_id: str) -> bytes:
    head, sep, body = raw.partition(b"\n\n")
    lines = [line for line in head.split(b"\n") if not line.lower().startswith(b"message-id:")]
    return b"\n".join([*lines, b"Message-ID: " + message_id.encode()]) + sep + body


if __name__ == "__main__":
    main()
