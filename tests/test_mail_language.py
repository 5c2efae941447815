"""One set of mail templates, said in the reader's language: a customer in their question's language (whatever
the channel), staff in their own locale; times in the organisation's zone, in that language."""
from __future__ import annotations

from app.mail import render_message
from routing.notifications import notify
from routing.questions import Customer, NewQuestion, take_in_question
from tests.browser.dutch import dutch_in, english_in
from tests.factories import T0, make_user


def _mail(app, session, kind, question, to_email, **payload):
    note = notify(session, T0, kind, question, to_email, **payload)
    session.commit()
    message = render_message(app, note)
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content() if message.is_multipart() else ""
    return message["Subject"], plain, html


def _question(session, text, **answer):
    question, _ = take_in_question(session, T0, NewQuestion(
        text=text, channel="web", customer=Customer(name="Jan", email="jan@example.org")))
    for name, value in answer.items():
        setattr(question, name, value)
    session.commit()
    return question


def test_a_dutch_question_gets_its_answer_in_dutch_in_both_parts(app, session):
    question = _question(session, "Wanneer wordt het oud papier bij ons in de straat opgehaald?",
                         answer="Elke **dinsdag**.", answer_html="<p>Elke <strong>dinsdag</strong>.</p>")
    subject, plain, html = _mail(app, session, "answered", question, "jan@example.org")
    assert subject == f"Het antwoord op uw vraag {question.reference}"
    assert plain.startswith("Beste Jan,") and "Ons antwoord:\nElke **dinsdag**." in plain
    assert "Met vriendelijke groet,\nKlantenservice" in plain
    assert "<p>Beste Jan,</p>" in html and "<strong>dinsdag</strong>" in html and '<html lang="nl">' in html
    assert not english_in(plain) and not english_in(html)


def test_the_promise_in_the_receipt_is_a_local_time_in_the_customers_language(app, session):
    dutch = _question(session, "Wanneer wordt het oud papier bij ons in de straat opgehaald?")
    dutch.due_at = T0.replace(hour=15, minute=0)  # 15:00 UTC on Monday 2 March 2026 is 16:00 in Wadderveen
    english = _question(session, "When is the old paper collected in our street?")
    english.due_at = dutch.due_at
    session.commit()
    _, plain, _ = _mail(app, session, "received", dutch, "jan@example.org")
    assert "U krijgt uiterlijk ma 2 mrt 16:00 antwoord." in plain and not english_in(plain)
    # An English customer reads English, even where the organisation speaks Dutch.
    app.config["DEFAULT_LOCALE"] = "nl"
    subject, plain, _ = _mail(app, session, "received", english, "jan@example.org")
    assert subject == f"We received your question {english.reference}"
    assert "We promise an answer by Mon 2 Mar 16:00." in plain and not dutch_in(plain)


def test_staff_read_their_mail_in_their_own_locale(app, session):
    question = _question(session, "When is the old paper collected in our street?")
    make_user(session, "expert", email="bea@example.org").locale = "nl"
    make_user(session, "expert", email="erik@example.org").locale = "en"
    session.commit()
    subject, plain, _ = _mail(app, session, "assigned", question, "bea@example.org", reason="kent Afval")
    assert subject == f"Nieuwe vraag voor u: {question.reference}"
    assert plain.startswith(f"Er wacht een vraag op u: {question.reference}") and "Waarom u: kent Afval" in plain
    subject, plain, _ = _mail(app, session, "assigned", question, "erik@example.org", reason="knows waste")
    assert subject == f"New question for you: {question.reference}" and "Why you: knows waste" in plain
