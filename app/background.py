"""Background work of a serving process (the embedded mode): escalations, review dates, mail in and out.

Started on a process's first request, like the search warm-up, so CLI commands never start it.
Every run is idempotent and claims its work in the database, so several processes may run it.
`flask --app app routing tick` runs one round by hand or from cron.
"""
from __future__ import annotations

import logging
import time

from flask import Flask
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.mail import deliver_pending
from app.mail_fetch import fetch_all
from app.search import search_service
from app.web import business_hours, now, start_on_first_request
from routing.editorial import flag_articles_due_for_review
from routing.escalation import EscalationReport, run_escalations

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    app.config.setdefault("BACKGROUND_JOBS", not app.testing)
    app.config.setdefault("BACKGROUND_INTERVAL_SECONDS", 60)
    start_on_first_request(app, enabled_by="BACKGROUND_JOBS", target=_loop, name="background-jobs")


def tick(app: Flask) -> EscalationReport:
    """One round: escalate what is due, read the mailboxes, then send the mail that is waiting."""
    with app.app_context():
        with Session(db.engine) as session:
            report = run_escalations(session, now(), search=search_service(), hours=business_hours())
            try:
                flag_articles_due_for_review(session, now())
                session.commit()
            except StaleDataError:  # another process flagged them first: nothing left to do, go on to the mail
                session.rollback()
    if app.config.get("MAIL_MAILBOXES"):
        fetch_all(app)  # each mailbox claims itself: two processes never read one at once
    deliver_pending(app)
    return report


def _loop(app: Flask) -> None:
    while True:
        try:
            tick(app)
        except Exception:  # the next round retries; the work is still in the database
            log.exception("background round failed")
        time.sleep(app.config["BACKGROUND_INTERVAL_SECONDS"])
