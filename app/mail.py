"""Sending the notification outbox by SMTP (MAIL_SERVER, MAIL_PORT, MAIL_FROM, MAIL_USERNAME,
MAIL_PASSWORD, MAIL_USE_TLS). Without MAIL_SERVER nothing is sent and the outbox keeps its rows.

Every mail to a customer is part of its question's thread: a Message-ID of its own (the same on a retry),
In-Reply-To/References naming the thread so far, and once sent it is recorded (routing.mail_intake), so a
reply to it finds its question. One set of templates, through gettext, said in the reader's language: a
customer reads their question's language (else the organisation's DEFAULT_LOCALE), whichever channel they
used; staff read their own locale. A question that came in by e-mail is answered under its own subject with
the reference, "Re: … [VB-2026-000123]"; the answer goes as plain text plus HTML rendered from the same
sanitised Markdown.
"""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import Flask, render_template, url_for
from flask_babel import force_locale, gettext
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from app.extensions import db
from app.i18n import LANGUAGES
from app.web import now
from routing.mail_intake import record_mail_sent, thread_ids
from knowledge.messages import N_
from knowledge.models import User
from routing.models import MailMessage
from routing.notifications import claim_pending, mark_failed, mark_sent

log = logging.getLogger(__name__)

SUBJECTS = {
    "received": N_("We received your question %(ref)s"),
    "assigned": N_("New question for you: %(ref)s"),
    "escalated": N_("Promise about to break: %(ref)s"),
    "info_requested": N_("We need some information for your question %(ref)s"),
    "answered": N_("The answer to your question %(ref)s"),
    "review_due": N_("Time to review: %(title)s"),
}
CUSTOMER_KINDS = ("received", "info_requested", "answered")


def render_message(app: Flask, note) -> EmailMessage:
    question = note.question
    to_customer = _to_customer(note)
    by_mail = to_customer and question.channel == "email"
    message = EmailMessage()
    message["From"] = app.config.get("MAIL_FROM", "vraagbaak@localhost")
    message["To"] = note.to_email
    if question is not None:
        message_id, thread = _thread(app, note)
        message["Message-ID"] = message_id
        if thread:
            message["In-Reply-To"] = thread[-1]
            message["References"] = " ".join(thread[-20:])
    if by_mail:
        message["Auto-Submitted"] = "auto-replied" if note.kind == "received" else "auto-generated"
    with app.test_request_context(base_url=app.config.get("BASE_URL", "http://127.0.0.1:5000")), \
            force_locale(_language(app, note, to_customer)):
        message["Subject"] = _subject(note, by_mail)
        tracking_url = (url_for("selfservice.track", reference=question.reference, token=note.payload["token"],
                                _external=True) if note.payload.get("token") else None)
        inbox_url = url_for("inbox.question", reference=question.reference, _external=True) if question else None
        article_url = (url_for("editor.article", article_id=note.payload["article_id"], _external=True)
                       if note.payload.get("article_id") else None)
        message.set_content(render_template(f"mail/{note.kind}.txt", question=question, payload=note.payload,
                                            tracking_url=tracking_url, inbox_url=inbox_url, article_url=article_url,
                                            # only a read mailbox brings a reply back to its question
                                            replies_by_mail=bool(app.config.get("MAIL_MAILBOXES"))))
        if note.kind == "answered" and question.answer_html:
            message.add_alternative(render_template("mail/answered.html", question=question), subtype="html")
    return message


def _to_customer(note) -> bool:
    question = note.question
    return bool(question is not None and note.kind in CUSTOMER_KINDS and question.customer_email
                and note.to_email == question.customer_email)


def _language(app: Flask, note, to_customer: bool) -> str:
    """A customer reads their question's language, whichever channel they used; staff read their own locale."""
    if to_customer:
        language = note.question.language
    else:
        language = object_session(note).scalar(select(User.locale).where(User.email == note.to_email).limit(1))
    return language if language in LANGUAGES else app.config["DEFAULT_LOCALE"]


def _subject(note, by_mail: bool) -> str:
    question = note.question
    ref = question.reference if question else ""
    standard = gettext(SUBJECTS[note.kind], ref=ref, title=note.payload.get("title", ""))
    if not by_mail:
        return standard
    session = object_session(note)
    first = session.scalar(select(MailMessage.subject).where(
        MailMessage.question_id == question.id, MailMessage.direction == "in").order_by(MailMessage.id).limit(1))
    first = (first or "").strip()
    while first.lower().startswith(("re:", "aw:", "antw:")):
        first = first.split(":", 1)[1].strip()
    first = first.replace(f"[{ref}]", "").strip()
    return f"Re: {first} [{ref}]" if first else f"{standard} [{ref}]"


def _thread(app: Flask, note) -> tuple[str, list[str]]:
    """This mail's Message-ID (fixed by the outbox row, so a retry sends the same one) and the thread so far."""
    sender = app.config.get("MAIL_FROM", "vraagbaak@localhost")
    domain = sender.rsplit("@", 1)[-1].strip("> ") or "localhost"
    message_id = f"<vb.{note.id}.{note.question.reference.lower()}@{domain}>"
    thread = [m for m in thread_ids(object_session(note), note.question) if m != message_id]
    return message_id, thread


def deliver_pending(app: Flask) -> int:
    """Send what is waiting; each row is claimed first, so two senders never send the same mail."""
    if not app.config.get("MAIL_SERVER"):
        return 0
    sent = 0
    with app.app_context(), Session(db.engine) as session:
        for note in claim_pending(session, now()):
            try:
                message = render_message(app, note)
                _send(app, message)
            except (OSError, smtplib.SMTPException) as error:
                log.warning("mail %s to %s failed: %s", note.id, note.to_email, error)
                mark_failed(session, note, str(error))
            else:
                mark_sent(session, note, now())
                if _to_customer(note):
                    record_mail_sent(session, now(), note.question, message_id=str(message["Message-ID"]),
                                     to_email=note.to_email, subject=str(message["Subject"]), kind=note.kind)
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
