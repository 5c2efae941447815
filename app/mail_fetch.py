"""Reading the service mailboxes over IMAP (MAIL_MAILBOXES in instance/config.py).

Each mailbox is a dict: name, host, port, security ("ssl", "starttls" or "none"), user, password,
folder (default INBOX), topic (a topic slug or None). A fetch claims its mailbox in the database
first, so two processes never read the same one at once. Per message: take it in and commit, and only
then flag it \\Seen; a crash in between leaves it unseen, and the next fetch finds its Message-ID
already taken in (no loss, no duplicate). The rules about what a mail becomes are in routing.mail_intake.
"""
from __future__ import annotations

import imaplib
import logging
import ssl
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy.orm import Session

from app.extensions import db
from app.search import search_service
from app.web import business_hours, now
from routing.mail_intake import AttachmentRules, claim_mailbox, release_mailbox, take_in_mail

log = logging.getLogger(__name__)
BATCH = 200  # messages per fetch of one mailbox; the rest waits for the next round


@dataclass
class FetchReport:
    mailboxes: int = 0
    busy: list[str] = field(default_factory=list)  # claimed by another process
    outcomes: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)

    def count(self, kind: str) -> None:
        self.outcomes[kind] = self.outcomes.get(kind, 0) + 1


def attachment_rules(app: Flask) -> AttachmentRules:
    defaults = AttachmentRules()
    return AttachmentRules(max_bytes=app.config.get("MAIL_ATTACHMENT_MAX_BYTES", defaults.max_bytes),
                           types=tuple(app.config.get("MAIL_ATTACHMENT_TYPES", defaults.types)))


def fetch_all(app: Flask) -> FetchReport:
    report = FetchReport()
    with app.app_context():
        for mailbox in app.config.get("MAIL_MAILBOXES") or ():
            name = str(mailbox.get("name") or f"{mailbox.get('user')}@{mailbox.get('host')}/{mailbox.get('folder', 'INBOX')}")
            with Session(db.engine) as session:
                if not claim_mailbox(session, now(), name):
                    report.busy.append(name)
                    continue
                report.mailboxes += 1
                try:
                    fetch_mailbox(app, session, name, mailbox, report)
                except (OSError, imaplib.IMAP4.error) as error:
                    log.warning("mailbox %s could not be read: %s", name, error)
                    report.failed.append(name)
                except Exception:  # e.g. a setting missing from its entry: the other mailboxes are still read
                    log.exception("mailbox %s could not be read", name)
                    report.failed.append(name)
                finally:
                    session.rollback()
                    release_mailbox(session, name)
    return report


def fetch_mailbox(app: Flask, session: Session, name: str, mailbox: dict, report: FetchReport) -> None:
    rules = attachment_rules(app)
    with _connect(mailbox) as imap:
        imap.login(mailbox["user"], mailbox["password"])
        status, _ = imap.select(_quoted(mailbox.get("folder") or "INBOX"))
        if status != "OK":
            raise imaplib.IMAP4.error(f"folder {mailbox.get('folder')!r} cannot be opened")
        _, found = imap.uid("SEARCH", None, "UNSEEN")
        for uid in (found[0] or b"").split()[:BATCH]:
            status, data = imap.uid("FETCH", uid, "(BODY.PEEK[])")  # PEEK: not \Seen until committed
            raw = next((item[1] for item in data or () if isinstance(item, tuple)), None)
            if status != "OK" or raw is None:
                log.warning("mailbox %s: message %s could not be fetched", name, uid.decode())
                continue
            try:
                outcome = take_in_mail(session, now(), raw, search=search_service(), hours=business_hours(),
                                       topic_slug=mailbox.get("topic"), mailbox=name, rules=rules,
                                       reopen_days=app.config["REOPEN_DAYS"])
                session.commit()
            except Exception:  # the database refused (locked, gone): left unseen, the next round retries
                session.rollback()
                log.exception("mailbox %s: message %s not taken in; retried next round", name, uid.decode())
                report.count("failed")
                continue
            report.count(outcome.kind)
            mark_seen(imap, uid)


def mark_seen(imap: imaplib.IMAP4, uid: bytes) -> None:
    imap.uid("STORE", uid, "+FLAGS", "(\\Seen)")


def _connect(mailbox: dict) -> imaplib.IMAP4:
    security = mailbox.get("security", "ssl")
    host = mailbox["host"]
    if security == "ssl":
        return imaplib.IMAP4_SSL(host, mailbox.get("port", 993), ssl_context=ssl.create_default_context(),
                                 timeout=30)
    imap = imaplib.IMAP4(host, mailbox.get("port", 143), timeout=30)
    if security == "starttls":
        imap.starttls(ssl_context=ssl.create_default_context())
    elif security != "none":
        raise imaplib.IMAP4.error(f"security must be ssl, starttls or none, not {security!r}")
    return imap


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
