"""Sending the notification outbox by SMTP (MAIL_SERVER, MAIL_PORT, MAIL_FROM, MAIL_USERNAME,
MAIL_PASSWORD, MAIL_USE_TLS). Without MAIL_SERVER nothing is sent and the outbox keeps its rows."""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import Flask, render_template, url_for
from sqlalchemy.orm import Session

from app.extensions import db
from app.web import now
from routing.notifications import claim_pending, mark_failed, mark_sent

log = logging.getLogger(__name__)

SUBJECTS = {
    "received": "We received your question {ref}",
    "assigned": "New question for you: {ref}",
    "escalated": "Promise about to break: {ref}",
    "info_requested": "We need some information for your question {ref}",
    "answered": "The answer to your question {ref}",
    "review_due": "Time to review: {title}",
}


def render_message(app: Flask, note) -> EmailMessage:
    question = note.question
    message = EmailMessage()
    message["From"] = app.config.get("MAIL_FROM", "vraagbaak@localhost")
    message["To"] = note.to_email
    message["Subject"] = SUBJECTS[note.kind].format(ref=question.reference if question else "",
                                                    title=note.payload.get("title", ""))
    with app.test_request_context(base_url=app.config.get("BASE_URL", "http://127.0.0.1:5000")):
        tracking_url = (url_for("selfservice.track", reference=question.reference, token=note.payload["token"],
                                _external=True) if note.payload.get("token") else None)
        inbox_url = url_for("inbox.question", reference=question.reference, _external=True) if question else None
        article_url = (url_for("editor.article", article_id=note.payload["article_id"], _external=True)
                       if note.payload.get("article_id") else None)
        message.set_content(render_template(f"mail/{note.kind}.txt", question=question, payload=note.payload,
                                            tracking_url=tracking_url, inbox_url=inbox_url, article_url=article_url))
    return message


def deliver_pending(app: Flask) -> int:
    """Send what is waiting; each row is claimed first, so two senders never send the same mail."""
    if not app.config.get("MAIL_SERVER"):
        return 0
    sent = 0
    with app.app_context(), Session(db.engine) as session:
        for note in claim_pending(session, now()):
            try:
                _send(app, render_message(app, note))
            except (OSError, smtplib.SMTPException) as error:
                log.warning("mail %s to %s failed: %s", note.id, note.to_email, error)
                mark_failed(session, note, str(error))
            else:
                mark_sent(session, note, now())
                sent += 1
            session.commit()
    return sent


def _send(app: Flask, message: EmailMessage) -> None:
    with smtplib.SMTP(app.config["MAIL_SERVER"], app.config.get("MAIL_PORT", 25), timeout=10) as smtp:
        if app.config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if app.config.get("MAIL_USERNAME"):
            smtp.login(app.config["MAIL_USERNAME"], app.config.get("MAIL_PASSWORD", ""))
        smtp.send_message(message)
