"""The e-mail channel end to end, against a real IMAP server (Debian's dovecot, started here with a
throw-away config and maildir) and a real SMTP server (aiosmtpd, tests/test_mail.py's fixture).

Skipped with a reason on a machine without dovecot; under CI=true a missing dovecot fails instead
(`make test` installs it, like Chromium for the browser tests).
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.mail import deliver_pending
from app.mail_fetch import fetch_all
from routing.mail_intake import CLAIM_EXPIRES
from routing.models import Event, Question
from routing.questions import answer_question, request_customer_info
from tests import dovecot as dovecot_server
from tests.factories import make_expert, make_mail
from tests.test_mail import smtp_server  # noqa: F401  (the real SMTP server fixture)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def imap():
    if not dovecot_server.available():
        if os.environ.get("CI"):
            pytest.fail(f"no dovecot at {dovecot_server.DOVECOT}: IMAP tests cannot be skipped in CI")
        pytest.skip(f"no dovecot at {dovecot_server.DOVECOT} (apt-get install dovecot-imapd)")
    # A short path: dovecot's sockets live under it, and a socket path has at most 108 characters.
    server = dovecot_server.Dovecot(Path(tempfile.mkdtemp(prefix="vb-imap-"))).start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(app, imap, smtp_server, session):  # noqa: F811
    inbox, port = smtp_server
    app.config.update(MAIL_MAILBOXES=[imap.mailbox], MAIL_SERVER="127.0.0.1", MAIL_PORT=port,
                      MAIL_FROM="kcc@wadderveen.example.org")
    make_expert(session, "Erik Expert", email="erik@example.org")
    return app, inbox


def customer_mail(subject="Parkeervergunning verlengen", body="Beste gemeente, mijn parkeervergunning verloopt. "
                  "Hoe verleng ik die?", message_id="<first@klant.example.nl>", **headers) -> bytes:
    return make_mail(subject=subject, body=body, sender="Jan de Vries <jan@klant.example.nl>",
                     message_id=message_id, **headers)


def questions(session) -> list[Question]:
    session.expire_all()
    return list(session.scalars(select(Question).order_by(Question.id)))


def mailed_question(app, imap, session) -> Question:
    """The customer's first mail delivered, fetched, acknowledged: the question it became."""
    imap.deliver(customer_mail())
    fetch_all(app)
    deliver_pending(app)
    [question] = questions(session)
    return question


def customer_mails(inbox) -> list:
    return [m for m in inbox.messages if m["To"] == "jan@klant.example.nl"]


def test_a_new_mail_becomes_a_question_and_the_acknowledgement_is_in_its_thread(mail_app, imap, session):
    app, inbox = mail_app
    imap.deliver(customer_mail())
    report = fetch_all(app)
    assert report.outcomes == {"question": 1}
    [question] = questions(session)
    assert question.channel == "email" and question.customer_email == "jan@klant.example.nl"
    assert question.text.startswith("Parkeervergunning verlengen\n\nBeste gemeente, mijn parkeervergunning")
    assert question.owner is not None
    assert imap.unseen() == 0  # flagged once the question was committed

    deliver_pending(app)
    [ack] = customer_mails(inbox)
    assert ack["Subject"] == f"Re: Parkeervergunning verlengen [{question.reference}]"
    assert ack["In-Reply-To"] == "<first@klant.example.nl>"
    assert "<first@klant.example.nl>" in ack["References"]
    assert ack["Message-ID"].endswith("@wadderveen.example.org>")
    assert ack["Auto-Submitted"] == "auto-replied"
    body = ack.get_content()
    assert f"Uw kenmerk is {question.reference}" in body and f"/track/{question.reference}?token=" in body
    kinds = [e.kind for e in questions(session)[0].events]
    assert "mail_received" in kinds and kinds[-1] == "mail_sent"


def test_a_reply_by_mail_while_info_is_asked_resumes_the_clock_on_the_same_question(mail_app, imap, session, clock):
    app, inbox = mail_app
    question = mailed_question(app, imap, session)
    request_customer_info(session, clock.now, question, expert_id=question.owner_id, message="Wat is uw kenteken?")
    session.commit()
    deliver_pending(app)
    ack, asked = customer_mails(inbox)
    assert asked["Subject"] == f"Re: Parkeervergunning verlengen [{question.reference}]"
    assert asked["In-Reply-To"] == ack["Message-ID"]  # the thread goes on from our last mail
    due = question.due_at

    clock.now += timedelta(hours=2)
    imap.deliver(customer_mail(subject=asked["Subject"], body="Mijn kenteken is AB-123-C.\n\nOp maandag schreef "
                               "Gemeente:\n> Wat is uw kenteken?", message_id="<second@klant.example.nl>",
                               In_Reply_To=asked["Message-ID"], References=f"{ack['Message-ID']} {asked['Message-ID']}"))
    assert fetch_all(app).outcomes == {"reply": 1}
    [same] = questions(session)
    assert same.id == question.id and same.status == "accepted"
    assert same.due_at == due + timedelta(hours=2)
    replied = [e for e in same.events if e.kind == "customer_replied"]
    assert replied and "AB-123-C" in replied[0].payload["message"]
    assert "Wat is uw kenteken" not in replied[0].payload["message"]  # the quote is trimmed


def test_the_expert_answer_goes_out_in_the_same_thread_with_an_html_part(mail_app, imap, session, clock):
    app, inbox = mail_app
    question = mailed_question(app, imap, session)
    answer_question(session, clock.now, question, expert_id=question.owner_id,
                    body="U verlengt uw vergunning **online** via [Mijn Wadderveen](https://wadderveen.example.org).")
    session.commit()
    deliver_pending(app)
    ack, answer = customer_mails(inbox)
    assert answer["Subject"] == f"Re: Parkeervergunning verlengen [{question.reference}]"
    assert answer["In-Reply-To"] == ack["Message-ID"]
    assert "<first@klant.example.nl>" in answer["References"]
    assert answer.get_content_type() == "multipart/alternative"
    html = answer.get_body(("html",)).get_content()
    assert "<strong>online</strong>" in html and '<a href="https://wadderveen.example.org"' in html
    assert "**" not in html and "](" not in html
    assert "Ons antwoord:" in answer.get_body(("plain",)).get_content()

    # The customer answers the answer: it lands on the same question, back in the expert's inbox.
    imap.deliver(customer_mail(subject=answer["Subject"], body="Dank u, het is gelukt!",
                               message_id="<thanks@klant.example.nl>", In_Reply_To=answer["Message-ID"]))
    assert fetch_all(app).outcomes == {"reply": 1}
    [same] = questions(session)
    assert [e.payload["message"] for e in same.events if e.kind == "customer_replied"] == [
        "Re: Parkeervergunning verlengen [" + question.reference + "]\n\nDank u, het is gelukt!"]
    assert same.status == "reopened" and same.owner_id == same.answered_by_id  # back in the expert's inbox


def test_an_out_of_office_reply_creates_nothing_and_is_not_answered(mail_app, imap, session):
    app, inbox = mail_app
    imap.deliver(customer_mail(subject="Afwezig: uw vraag", body="Ik ben tot maandag afwezig.",
                               Auto_Submitted="auto-replied", X_Autoreply="yes"))
    assert fetch_all(app).outcomes == {"automatic": 1}
    deliver_pending(app)
    assert questions(session) == [] and inbox.messages == []
    assert session.scalar(select(func.count(Event.id))) == 0
    assert imap.unseen() == 0  # read, so it is not looked at again


def test_the_same_message_delivered_twice_makes_one_question(mail_app, imap, session):
    app, inbox = mail_app
    imap.deliver(customer_mail(), customer_mail())
    assert fetch_all(app).outcomes == {"question": 1, "duplicate": 1}
    imap.deliver(customer_mail())
    assert fetch_all(app).outcomes == {"duplicate": 1}
    assert len(questions(session)) == 1


def test_a_mailbox_being_read_by_another_process_is_left_alone(mail_app, imap, session, clock):
    from routing.mail_intake import claim_mailbox

    app, inbox = mail_app
    assert claim_mailbox(session, clock.now, "kcc")  # another process holds it
    imap.deliver(customer_mail())
    report = fetch_all(app)
    assert report.busy == ["kcc"] and report.outcomes == {} and imap.unseen() == 1
    clock.now += timedelta(minutes=11)  # that process died: its claim expires
    assert fetch_all(app).outcomes == {"question": 1}


KILLED_FETCH = """
import os, signal, sys
import app.mail_fetch as mail_fetch
from app import create_app

def die(imap, uid):  # the question is committed; the process dies before the mailbox hears of it
    os.kill(os.getpid(), signal.SIGKILL)

mail_fetch.mark_seen = die
app = create_app({"VRAAGBAAK_ENV": "testing", "TESTING": True, "SECRET_KEY": "tests-only",
                  "SQLALCHEMY_DATABASE_URI": sys.argv[1], "INDEX_DIR": sys.argv[2],
                  "SEARCH_EMBEDDERS": {"en": "hashing", "nl": "hashing"}, "SEARCH_SYNC": "before_search",
                  "MAIL_MAILBOXES": [eval(sys.argv[3])]})
mail_fetch.fetch_all(app)
"""


def test_a_fetch_killed_between_commit_and_flag_loses_nothing_and_duplicates_nothing(
        mail_app, imap, session, database_url, tmp_path, clock):
    app, inbox = mail_app
    imap.deliver(customer_mail())
    killed = subprocess.run([sys.executable, "-c", KILLED_FETCH, database_url, str(tmp_path / "index2"),
                             repr(imap.mailbox)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True, timeout=120)
    assert killed.returncode == -9, killed.stderr
    assert len(questions(session)) == 1  # committed before the kill
    assert imap.unseen() == 1  # never flagged

    # The dead process still holds the mailbox's claim (on the real clock) until it expires.
    clock.now = datetime.now(timezone.utc)
    assert fetch_all(app).busy == ["kcc"]
    clock.now += CLAIM_EXPIRES + timedelta(seconds=1)
    assert fetch_all(app).outcomes == {"duplicate": 1}  # the restart finds it taken in
    assert len(questions(session)) == 1 and imap.unseen() == 0
    deliver_pending(app)
    assert len(customer_mails(inbox)) == 1  # one acknowledgement


def test_the_background_round_reads_the_mailbox_and_sends_the_acknowledgement(mail_app, imap, session):
    from app.background import tick

    app, inbox = mail_app
    imap.deliver(customer_mail())
    tick(app)
    [question] = questions(session)
    assert question.channel == "email" and imap.unseen() == 0
    assert [m["In-Reply-To"] for m in customer_mails(inbox)] == ["<first@klant.example.nl>"]


def test_mail_fetch_on_the_command_line_reads_once_and_says_what_it_did(mail_app, imap, session):
    app, inbox = mail_app
    imap.deliver(customer_mail(), customer_mail(message_id="<ooo@klant.example.nl>", Auto_Submitted="auto-replied"))
    result = app.test_cli_runner().invoke(args=["mail", "fetch"])
    assert result.exit_code == 0, result.output
    assert "Read 1 mailbox(es): automatic 1, question 1." in result.output
    assert len(questions(session)) == 1 and len(customer_mails(inbox)) == 1
    app.config["MAIL_MAILBOXES"] = []
    refused = app.test_cli_runner().invoke(args=["mail", "fetch"])
    assert refused.exit_code != 0 and "set MAIL_MAILBOXES" in refused.output


def test_a_customer_who_writes_english_gets_the_acknowledgement_in_english(mail_app, imap, session):
    app, inbox = mail_app
    imap.deliver(customer_mail(subject="Parking permit", body="Hello, how can I renew my parking permit? "
                               "I have a new car and the permit is for the old one. Thank you!"))
    fetch_all(app)
    deliver_pending(app)
    [question] = questions(session)
    [ack] = customer_mails(inbox)
    assert question.language == "en" and ack["Subject"] == f"Re: Parking permit [{question.reference}]"
    assert f"We received your question. Your reference is {question.reference}." in ack.get_content()
    assert "simply reply to this e-mail" in ack.get_content()


def test_an_unreachable_or_misconfigured_mailbox_does_not_stop_the_others(mail_app, imap, session):
    app, inbox = mail_app
    app.config["MAIL_MAILBOXES"] = [{"name": "gone", "host": "127.0.0.1", "port": dovecot_server.free_port(),
                                     "security": "none", "user": "x", "password": "y"},
                                    {"name": "no-host", "user": "x", "password": "y"},
                                    {**imap.mailbox, "password": "wrong", "name": "wrong-password"},
                                    imap.mailbox]
    imap.deliver(customer_mail())
    report = fetch_all(app)
    assert report.failed == ["gone", "no-host", "wrong-password"] and report.outcomes == {"question": 1}
