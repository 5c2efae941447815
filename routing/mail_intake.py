"""A customer's e-mail becomes a question, or joins the question whose thread it answers.

The rules, once, for every mailbox: a message a machine wrote (auto-reply, bounce, mailing list) makes
nothing and gets no answer (no mail loops); a message already seen makes nothing (its Message-ID is
unique); a reply — by In-Reply-To/References, else by the reference in its subject — attaches to its
question; anything else is a new question on channel "email", routed like every question. Mail in and
mail out are events on the question's timeline. Functions take a session and `now` and flush; the
caller commits (and only then marks the message seen in its mailbox).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from knowledge.language import detect_language
from knowledge.search import SearchService
from routing.events import record_event
from routing.intake import take_in_and_route
from routing.mail_parsing import ParsedMail, parse_mail
from routing.models import MailAttachment, MailboxClaim, MailMessage, Question
from routing.questions import (MAX_QUESTION_TEXT, Customer, NewQuestion, check_new_question,
                               follow_up_after_answer, record_customer_reply, reopen_possible_until)
from routing.sla import BusinessHours

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
DEFAULT_ATTACHMENT_TYPES = ("application/pdf", "image/png", "image/jpeg", "image/gif", "text/plain", "text/csv",
                            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                            "application/msword",
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
# What a question's text says about what did not fit, so nothing is dropped without a word.
NOTES = {
    "nl": {"refused": "Bijlage niet bewaard: {name} ({why})", "cut": "[… de mail is ingekort tot {n:,} tekens]",
           "empty": "(lege e-mail)"},
    "en": {"refused": "Attachment not kept: {name} ({why})", "cut": "[… the mail was cut to {n:,} characters]",
           "empty": "(empty e-mail)"},
}
REFUSALS = {
    "nl": {"type": "bestandstype {type} wordt niet aangenomen", "size": "{size} bytes, meer dan {most}"},
    "en": {"type": "type {type} not accepted", "size": "{size} bytes, more than {most}"},
}


@dataclass(frozen=True)
class AttachmentRules:
    max_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES
    types: tuple[str, ...] = DEFAULT_ATTACHMENT_TYPES


@dataclass(frozen=True)
class MailOutcome:
    """What one message did: "question" (new), "reply" (joined a question), "duplicate" or "automatic"."""
    kind: str
    message_id: str
    question: Question | None = None
    reason: str = ""


def take_in_mail(session: Session, now: datetime, raw: bytes, *, search: SearchService | None,
                 hours: BusinessHours, topic_slug: str | None = None, mailbox: str | None = None,
                 rules: AttachmentRules = AttachmentRules(), reopen_days: int = 14) -> MailOutcome:
    """One mail in: a reply to its question, or a new question; machine mail and mail seen before change
    nothing. A reply to an answer the customer may no longer reply to (`reopen_days`, as on the tracking
    page) is a new question, so that it has an owner."""
    mail = parse_mail(raw)
    for problem in mail.problems:
        log.warning("mail %s from %s: %s", mail.message_id, mail.address, problem)
    if mail.automatic:
        log.info("mail %s from %s not taken in: %s", mail.message_id, mail.address, mail.automatic)
        return MailOutcome("automatic", mail.message_id, reason=mail.automatic)
    if session.scalar(select(MailMessage.id).where(MailMessage.message_id == mail.message_id)):
        log.info("mail %s seen before: nothing to do", mail.message_id)
        return MailOutcome("duplicate", mail.message_id)
    thread = thread_of(session, mail)
    language = detect_language(mail.subject + "\n" + mail.text[:5000])  # Dutch unless the words say English
    if thread is not None and _takes_replies(thread, now, reopen_days):
        _attach_reply(session, now, thread, mail, language, rules, mailbox, reopen_days)
        return MailOutcome("reply", mail.message_id, thread)
    text = question_text(mail, language, rules)
    new = NewQuestion(text=text, channel="email", customer=Customer(name=_fit(mail.name, 120), email=mail.address),
                      topic_slug=topic_slug, language=language)
    try:
        check_new_question(session, new)
    except Exception as error:  # e.g. a mailbox pointing at a topic that was removed: route without it
        log.warning("mail %s: %s; taken in without the mailbox's topic", mail.message_id, error)
        new = NewQuestion(text=text, channel="email", customer=Customer(name=_fit(mail.name, 120),
                                                                         email=mail.address), language=language)
    question, _token, _candidates = take_in_and_route(session, now, new, search=search, hours=hours)
    _store(session, now, question, mail, rules, mailbox)
    record_event(session, now, "mail_received", question=question, message_id=mail.message_id,
                 subject=mail.subject, attachments=len(mail.attachments))
    session.flush()
    return MailOutcome("question", mail.message_id, question)


def thread_of(session: Session, mail: ParsedMail) -> Question | None:
    """The question this mail answers: by the thread's Message-IDs first, else by the subject's reference.
    A reference in the subject counts only from the address the question came from (anyone can type one)."""
    if mail.in_reply_to:
        found = session.scalar(select(MailMessage).where(MailMessage.message_id.in_(mail.in_reply_to[:50]))
                               .order_by(MailMessage.id.desc()).limit(1))
        if found is not None:
            return found.question
    reference = mail.subject_reference
    if reference:
        question = session.scalar(select(Question).where(Question.reference == reference))
        if question is not None and question.customer_email and question.customer_email == mail.address:
            return question
    return None


def question_text(mail: ParsedMail, language: str, rules: AttachmentRules) -> str:
    """Subject, the customer's words and a line per refused attachment; a body too long for a question is
    cut (the whole mail stays on the question's page), never the subject or the refusals."""
    notes = NOTES[language]
    body = mail.text.strip() or notes["empty"]
    refused = "\n".join(notes["refused"].format(name=a.filename, why=why) for a in mail.attachments
                        if (why := refusal(a.content_type, len(a.content), rules, language)))
    def joined(text: str) -> str:
        return "\n\n".join(part for part in (mail.subject, text, refused) if part)
    if len(joined(body)) > MAX_QUESTION_TEXT:
        cut = notes["cut"].format(n=MAX_QUESTION_TEXT)
        room = MAX_QUESTION_TEXT - len(joined("")) - len(cut) - 6
        body = body[:max(room, 0)].rstrip() + "\n\n" + cut
    return joined(body)[:MAX_QUESTION_TEXT]


def refusal(content_type: str, size: int, rules: AttachmentRules, language: str = "en") -> str | None:
    """Why an attachment is not kept, in `language` (the question's text is the customer's; staff pages
    are English until the interface is translated); None when it is kept."""
    words = REFUSALS[language]
    if content_type not in rules.types:
        return words["type"].format(type=content_type)
    if size > rules.max_bytes:
        return words["size"].format(size=_number(size, language), most=_number(rules.max_bytes, language))
    return None


def _number(n: int, language: str) -> str:
    return f"{n:,}".replace(",", ".") if language == "nl" else f"{n:,}"


def _takes_replies(question: Question, now: datetime, reopen_days: int) -> bool:
    """Still open, or answered recently enough that the customer may reply once more."""
    if question.status in ("answered", "closed", "answered_from_kb"):
        return reopen_possible_until(question, now, reopen_days) is not None
    return True


def _attach_reply(session: Session, now: datetime, question: Question, mail: ParsedMail, language: str,
                  rules: AttachmentRules, mailbox: str | None, reopen_days: int) -> None:
    message = question_text(mail, language, rules)
    _store(session, now, question, mail, rules, mailbox)
    record_event(session, now, "mail_received", question=question, message_id=mail.message_id,
                 subject=mail.subject, attachments=len(mail.attachments))
    if question.status == "waiting_for_customer":
        record_customer_reply(session, now, question, message=message)
    elif question.status in ("answered", "closed"):  # once more after the answer, as on the tracking page
        follow_up_after_answer(session, now, question, message=message, reopen_days=reopen_days)
    else:  # the expert sees it on the question's page, in their inbox
        question.updated_at = now
        record_event(session, now, "customer_wrote", question=question, message=message[:5000])
    session.flush()


def _store(session: Session, now: datetime, question: Question, mail: ParsedMail, rules: AttachmentRules,
           mailbox: str | None) -> MailMessage:
    stored = MailMessage(message_id=mail.message_id, question=question, direction="in", at=now,
                         address=mail.address or "", subject=mail.subject, text=mail.text[:100_000],
                         mailbox=_fit(mailbox, 80))
    session.add(stored)
    for attachment in mail.attachments:
        why = refusal(attachment.content_type, len(attachment.content), rules)
        session.add(MailAttachment(mail=stored, filename=attachment.filename,
                                   content_type=attachment.content_type[:127], size=len(attachment.content),
                                   content=None if why else attachment.content, refused=why))
    return stored


def record_mail_sent(session: Session, now: datetime, question: Question, *, message_id: str, to_email: str,
                     subject: str, kind: str) -> None:
    """A mail to the customer left: part of the thread (replies to it find the question) and of the timeline."""
    if session.scalar(select(MailMessage.id).where(MailMessage.message_id == message_id[:255])) is None:
        session.add(MailMessage(message_id=message_id[:255], question=question, direction="out", at=now,
                                address=to_email, subject=subject[:300], text=""))
    record_event(session, now, "mail_sent", question=question, message_id=message_id, mail=kind)
    session.flush()


def thread_ids(session: Session, question: Question) -> list[str]:
    """The Message-IDs of a question's thread, oldest first (for In-Reply-To and References)."""
    return list(session.scalars(select(MailMessage.message_id).where(MailMessage.question_id == question.id)
                                .order_by(MailMessage.id)))


def _fit(value: str | None, size: int) -> str | None:
    return value[:size] if value else None


CLAIM_EXPIRES = timedelta(minutes=10)  # a fetch that died holding the mailbox: another may take over after this


def claim_mailbox(session: Session, now: datetime, name: str) -> bool:
    """Claim a mailbox for one fetch (committed at once); False when another process is reading it."""
    if session.get(MailboxClaim, name) is None:
        session.add(MailboxClaim(name=name, claimed_at=None))
        try:
            session.commit()
        except IntegrityError:  # another process created the row at the same moment; the update below decides
            session.rollback()
    won = session.execute(update(MailboxClaim).where(
        MailboxClaim.name == name,
        or_(MailboxClaim.claimed_at.is_(None), MailboxClaim.claimed_at < now - CLAIM_EXPIRES))
        .values(claimed_at=now)).rowcount
    session.commit()
    return bool(won)


def release_mailbox(session: Session, name: str) -> None:
    session.execute(update(MailboxClaim).where(MailboxClaim.name == name).values(claimed_at=None))
    session.commit()


def mails_of(session: Session, question: Question) -> list[MailMessage]:
    """The customer's e-mails on a question, oldest first, with their attachments (for staff)."""
    return list(session.scalars(select(MailMessage).where(MailMessage.question_id == question.id,
                                                          MailMessage.direction == "in").order_by(MailMessage.id)))


def attachment_of(session: Session, question: Question, attachment_id: int) -> MailAttachment | None:
    """An attachment only through its own question, and only one that was kept."""
    return session.scalar(select(MailAttachment).join(MailMessage).where(
        MailAttachment.id == attachment_id, MailMessage.question_id == question.id,
        MailAttachment.content.is_not(None)))
