"""Notifications really leave by SMTP, once each, to a real local mail server."""
from __future__ import annotations

import socket
from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.mail import deliver_pending
from routing.models import Notification
from routing.questions import Customer, NewQuestion, take_in_question
from tests.factories import T0


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"


@pytest.fixture
def smtp_server():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def test_the_customer_gets_the_tracking_link_once_and_the_token_is_not_kept(app, session, smtp_server):
    inbox, port = smtp_server
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_FROM="kcc@wadderveen.example.org")
    question, token = take_in_question(session, T0, NewQuestion(
        text="When is the paper collected?", channel="web", customer=Customer(name="Jan", email="jan@example.org")))
    session.commit()

    assert deliver_pending(app) == 1
    assert deliver_pending(app) == 0  # sent once, not again
    [mail] = inbox.messages
    assert mail["To"] == "jan@example.org"
    assert mail["Subject"] == f"We received your question {question.reference}"
    assert f"/track/{question.reference}?token={token}" in mail.get_content()
    session.expire_all()
    sent = session.scalar(select(Notification))
    assert sent.sent_at is not None and sent.payload == {}


def test_an_unreachable_mail_server_keeps_the_message_for_a_later_round(app, session):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port)
    take_in_question(session, T0, NewQuestion(text="Hello?", channel="web", customer=Customer(email="a@example.org")))
    session.commit()
    assert deliver_pending(app) == 0
    session.expire_all()
    pending = session.scalar(select(Notification))
    assert pending.sent_at is None and pending.attempts == 1 and pending.last_error
    assert pending.claimed_at is None  # free for the next round


def test_a_dutch_customer_on_the_web_gets_dutch_mail_that_promises_mail_replies_only_when_a_mailbox_is_read(
        app, session, smtp_server):
    inbox, port = smtp_server
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_FROM="kcc@wadderveen.example.org")
    take_in_question(session, T0, NewQuestion(
        text="Wanneer wordt het oud papier bij ons in de straat opgehaald?", channel="web",
        customer=Customer(name="Jan", email="jan@example.org")))
    session.commit()
    deliver_pending(app)
    [mail] = inbox.messages
    body = mail.get_content()
    assert "We hebben uw vraag ontvangen" in body and "Beantwoord dan deze e-mail" not in body

    app.config["MAIL_MAILBOXES"] = [{"name": "kcc", "host": "127.0.0.1", "user": "kcc", "password": "x"}]
    take_in_question(session, T0, NewQuestion(
        text="Mijn container is niet geleegd, wat nu?", channel="web", customer=Customer(name="Jan", email="jan@example.org")))
    session.commit()
    deliver_pending(app)
    assert "Beantwoord dan deze e-mail" in inbox.messages[-1].get_content()
