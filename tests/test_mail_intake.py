"""Customers' e-mail becomes questions: real-world-shaped messages, machine mail, threads, attachments.

The mailbox transport has its own tests against a real IMAP server (test_mail_imap.py); these take the
raw messages straight to the domain rules with a real database.
"""
from __future__ import annotations

import logging
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import func, select

from routing.mail_intake import AttachmentRules, take_in_mail
from routing.models import Event, MailAttachment, MailMessage, Notification, Question, QuestionFacts
from routing.questions import request_customer_info
from routing.sla import DEFAULT_BUSINESS_HOURS, BusinessHours
from tests.factories import T0, make_expert, make_mail, make_topic

CORPUS = Path(__file__).parent / "mail_corpus"
HOURS = BusinessHours(DEFAULT_BUSINESS_HOURS)

# What each message's question must say (and, where it matters, must not say).
EXPECTED = {
    "01_plain_dutch": ["Parkeervergunning aanvragen", "Mijn parkeervergunning verloopt volgende week"],
    "02_multipart_alternative": ["De groene container is deze week niet geleegd"],
    "03_only_html": ["Mijn paspoort is verlopen. Kan ik een afspraak maken"],
    "04_iso_8859_1_qp": ["Terras café", "het café-terras", "één vraag over de privé-parkeerplaats"],
    "05_windows_1252": ["€ 312", "“afvalstoffenheffing” – klopt dat?"],
    "06_base64": ["Wanneer wordt het grofvuil opgehaald in Wadderveen-Noord?"],
    "07_attachment_pdf": ["mijn bezwaar tegen de WOZ-waarde"],
    "08_inline_image": ["De lantaarnpaal voor nummer 12 is kapot"],
    "09_forwarded_inline": ["Ik stuur deze brief door", "missen nog uw bankafschriften"],
    "10_forwarded_attachment": ["Ik heb geen hond meer", "U ontvangt een aanslag hondenbelasting van 120 euro"],
    "11_hostile_html": ["Ik wil subsidie aanvragen voor zonnepanelen."],
    "12_malformed_mime": ["Heb ik een omgevingsvergunning nodig voor een dakkapel?"],
    "13_unknown_charset": ["Ik ben verhuisd naar de Kerkstraat 5"],
    "14_wrong_charset": ["Groeten, Bram Müller"],
    "15_english": ["How can I register my address with the municipality?"],
    "16_quoted_outlook": ["geldt de kwijtschelding ook voor de rioolheffing?"],
    "17_quoted_gmail_signature": ["Wordt het oud papier ook op tweede kerstdag opgehaald?"],
    "18_refused_attachment": ["gehandicaptenparkeerkaart", "Bijlage niet bewaard: formulier.exe"],
    "19_no_message_id_no_subject": ["Ik wil een klacht indienen over geluidsoverlast"],
    "20_entities_mobile_signature": ["voor mijn werkgever & de bank. Kan dat digitaal?"],
    "21_mixed_docx_iso": ["de brief over mijn huurtoeslag"],
    "22_subject_reference": ["Hierbij mijn klantnummer: 445566."],
}
NOT_EXPECTED = {
    "11_hostile_html": ["<script", "document.cookie", "evil.example", "alert("],
    "16_quoted_outlook": ["U kunt kwijtschelding aanvragen via het formulier"],
    "17_quoted_gmail_signature": ["06-12345678", "elke eerste dinsdag"],
    "20_entities_mobile_signature": ["&amp;", "&nbsp;", "iPhone"],
    "03_only_html": ["color:red", "<div>"],
}


def take(session, raw: bytes, **kwargs):
    outcome = take_in_mail(session, T0, raw, search=None, hours=HOURS, **kwargs)
    session.commit()
    return outcome


def mail(subject="Vraag over de parkeervergunning", body="Beste gemeente, mijn parkeervergunning is verlopen.",
         sender="Jan de Vries <jan@example.nl>", message_id="<m1@example.nl>", **headers) -> bytes:
    return make_mail(subject=subject, body=body, sender=sender, message_id=message_id, **headers)


def test_the_corpus_has_the_shapes_the_issue_names():
    assert len(list(CORPUS.glob("*.eml"))) >= 20
    assert set(EXPECTED) == {p.stem for p in CORPUS.glob("*.eml")}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_real_world_message_becomes_a_question_with_a_sensible_text(session, name):
    make_expert(session, "Erik Expert")
    outcome = take(session, (CORPUS / f"{name}.eml").read_bytes())
    assert outcome.kind == "question"
    question = session.get(Question, outcome.question.id)
    assert question.channel == "email" and question.owner_id is not None  # routed like every question
    for words in EXPECTED[name]:
        assert words in question.text
    for words in NOT_EXPECTED.get(name, ()):
        assert words not in question.text
    assert [e.kind for e in question.events][:1] == ["received"]
    assert "mail_received" in [e.kind for e in question.events]


def test_english_mail_is_answered_in_english_and_dutch_mail_in_dutch(session):
    make_expert(session, "Erik Expert")
    english = take(session, (CORPUS / "15_english.eml").read_bytes()).question
    dutch = take(session, (CORPUS / "01_plain_dutch.eml").read_bytes()).question
    assert (english.language, dutch.language) == ("en", "nl")


def test_attachments_are_kept_and_a_refused_one_is_named_not_dropped(session):
    make_expert(session, "Erik Expert")
    question = take(session, (CORPUS / "18_refused_attachment.eml").read_bytes()).question
    kept = {a.filename: a for a in session.scalars(select(MailAttachment))}
    assert kept["scan.png"].content.startswith(b"\x89PNG") and kept["scan.png"].refused is None
    assert kept["formulier.exe"].content is None and "not accepted" in kept["formulier.exe"].refused
    assert "formulier.exe" in question.text


def test_an_attachment_over_the_size_limit_is_named_in_the_question(session):
    make_expert(session, "Erik Expert")
    question = take(session, (CORPUS / "07_attachment_pdf.eml").read_bytes(),
                    rules=AttachmentRules(max_bytes=10)).question
    assert "Bijlage niet bewaard: bezwaar-woz.pdf (45 bytes, meer dan 10)" in question.text


def test_a_ten_megabyte_mail_is_taken_in_with_its_text_and_its_attachment_refused(session):
    make_expert(session, "Erik Expert")
    message = EmailMessage()
    message["From"], message["Subject"], message["Message-ID"] = "groot@example.nl", "Bouwtekening", "<big@ex.nl>"
    message.set_content("Beste gemeente, hierbij de bouwtekening voor mijn aanbouw.\n" + "Regel tekst.\n" * 50_000)
    message.add_attachment(b"\x00" * (10 * 1024 * 1024), maintype="application", subtype="pdf",
                           filename="tekening.pdf")
    raw = message.as_bytes()
    assert len(raw) > 10_000_000
    question = take(session, raw, rules=AttachmentRules(max_bytes=5 * 1024 * 1024)).question
    assert question.text.startswith("Bouwtekening\n\nBeste gemeente, hierbij de bouwtekening")
    assert "ingekort tot 10,000 tekens" in question.text and len(question.text) <= 10_000
    assert "Bijlage niet bewaard: tekening.pdf" in question.text


@pytest.mark.parametrize("headers", [
    {"Auto_Submitted": "auto-replied"},
    {"Precedence": "bulk"},
    {"Precedence": "list"},
    {"List_Id": "<nieuws.example.nl>"},
    {"List_Unsubscribe": "<mailto:unsubscribe@example.nl>"},
    {"X_Autoreply": "yes"},
    {"X_Autorespond": "Afwezig"},
    {"Return_Path": "<>"},
    {"sender": "MAILER-DAEMON@mx.example.nl"},
    {"sender": "postmaster@example.nl"},
], ids=lambda h: next(iter(h.items()))[0] + "=" + next(iter(h.values())))
def test_machine_mail_creates_nothing_and_gets_no_acknowledgement(session, headers, caplog):
    caplog.set_level(logging.INFO, logger="routing.mail_intake")
    before = session.scalar(select(func.count(Event.id)))
    outcome = take(session, mail(subject="Afwezig: uw vraag", **headers))
    assert outcome.kind == "automatic"
    assert session.scalar(select(func.count(Question.id))) == 0
    assert session.scalar(select(func.count(Event.id))) == before
    assert "not taken in" in caplog.text
    assert session.scalar(select(func.count(Notification.id))) == 0  # no acknowledgement: no mail loop


def test_auto_submitted_no_is_a_person(session):
    make_expert(session, "Erik Expert")
    assert take(session, mail(Auto_Submitted="no")).kind == "question"


def test_the_same_message_twice_makes_one_question(session):
    make_expert(session, "Erik Expert")
    first = take(session, mail())
    second = take(session, mail())
    assert (first.kind, second.kind) == ("question", "duplicate")
    assert session.scalar(select(func.count(Question.id))) == 1


def test_a_reply_by_headers_while_info_is_asked_resumes_the_clock(session):
    expert = make_expert(session, "Erik Expert")
    question = take(session, mail()).question
    due = question.due_at
    request_customer_info(session, T0, question, expert_id=expert.id, message="Wat is uw kenteken?")
    session.commit()
    later = T0.replace(hour=11)
    outcome = take_in_mail(session, later, mail(subject="Re: Vraag over de parkeervergunning", body="AB-123-C",
                                                message_id="<m2@example.nl>", In_Reply_To="<m1@example.nl>"),
                           search=None, hours=HOURS)
    session.commit()
    assert outcome.kind == "reply" and outcome.question.id == question.id
    assert question.status == "accepted" and question.due_at == due + (later - T0)
    assert [e.kind for e in question.events][-2:] == ["mail_received", "customer_replied"]
    assert session.scalar(select(func.count(Question.id))) == 1


def test_a_reply_by_the_reference_in_the_subject_lands_on_its_question_as_a_message(session):
    make_expert(session, "Erik Expert")
    question = take(session, mail()).question
    outcome = take(session, mail(subject=f"Nog iets [{question.reference}]", body="Ik ben ook verhuisd.",
                                 message_id="<m3@example.nl>"))
    assert outcome.kind == "reply" and outcome.question.id == question.id
    wrote = [e for e in question.events if e.kind == "customer_wrote"]
    assert wrote and "Ik ben ook verhuisd." in wrote[0].payload["message"]


def test_a_reference_in_the_subject_from_another_address_is_a_new_question(session):
    make_expert(session, "Erik Expert")
    question = take(session, mail()).question
    other = take(session, mail(subject=f"Re: [{question.reference}]", sender="iemand@example.com",
                               message_id="<m4@example.com>"))
    assert other.kind == "question" and other.question.id != question.id


def test_a_mailbox_with_a_topic_routes_its_questions_there_and_analytics_count_the_channel(session):
    make_topic(session, "parking", "Parkeren")
    make_expert(session, "Erik Expert", knows={"parking": 3})
    question = take(session, mail(), topic_slug="parking").question
    assert question.topic.slug == "parking"
    assert session.get(QuestionFacts, question.id).channel == "email"
    from datetime import date, timedelta

    from routing.analytics import Filters, Period, overview

    march = Period(date(2026, 3, 1), date(2026, 3, 31))
    assert overview(session, Filters(march, channel="email"), T0 + timedelta(days=1)).total.questions == 1
    assert overview(session, Filters(march, channel="web"), T0 + timedelta(days=1)).total.questions == 0


def test_attachments_are_downloadable_by_staff_only(app, client, auth, session, people):
    make_expert(session, "Erik Expert", email="erik@example.org")
    question = take(session, (CORPUS / "07_attachment_pdf.eml").read_bytes()).question
    attachment = session.scalar(select(MailAttachment))
    url = f"/inbox/questions/{question.reference}/attachments/{attachment.id}"
    assert client.get(url).status_code in (302, 303)  # a customer without an account is sent to sign in
    auth.login("erik@example.org")
    page = client.get(f"/inbox/questions/{question.reference}").get_data(as_text=True)
    assert "bezwaar-woz.pdf" in page and url in page
    download = client.get(url)
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    assert download.headers["Content-Disposition"].startswith('attachment; filename="bezwaar-woz.pdf"')
    assert download.mimetype == "application/octet-stream"
    assert client.get(f"/inbox/questions/{question.reference}/attachments/{attachment.id + 99}").status_code == 404
    assert session.scalar(select(MailMessage.question_id)) == question.id


def answered_by_mail(session):
    """A question that came in by mail, answered by Erik at T0: (the expert, the question)."""
    from routing.questions import accept_question, answer_question

    expert = make_expert(session, "Erik Expert")
    question = take(session, mail()).question
    accept_question(session, T0, question, expert_id=expert.id)
    answer_question(session, T0, question, expert_id=expert.id, body="Verleng hem online.")
    session.commit()
    return expert, question


def test_a_mail_after_the_answer_puts_the_question_back_in_the_experts_inbox(session):
    from routing.worklists import open_questions_of

    expert, question = answered_by_mail(session)
    assert open_questions_of(session, expert.id) == []
    take(session, mail(subject=f"Re: [{question.reference}]", body="Dat lukt niet, de site geeft een fout.",
                       message_id="<m9@example.nl>", In_Reply_To="<m1@example.nl>"))
    assert [q.id for q in open_questions_of(session, expert.id)] == [question.id]
    # the same rule as a reply on the tracking page: once, within REOPEN_DAYS, back to the expert who answered
    assert [e.kind for e in question.events][-3:] == ["mail_received", "customer_replied", "reopened"]


def test_a_mail_long_after_the_answer_is_a_new_question_with_an_owner(session):
    from datetime import timedelta

    _, question = answered_by_mail(session)
    later = T0 + timedelta(days=15)  # past the 14 days in which a customer may reply once more
    outcome = take_in_mail(session, later, mail(subject=f"Re: [{question.reference}]", body="Nog een vraag.",
                                                message_id="<m10@example.nl>", In_Reply_To="<m1@example.nl>"),
                           search=None, hours=HOURS, reopen_days=14)
    assert outcome.kind == "question" and outcome.question.id != question.id
    assert outcome.question.owner_id is not None and question.status == "answered"


def test_the_customer_and_staff_timelines_tell_of_the_mail_in_and_out(app, session):
    from routing.analytics.timeline import question_timeline
    from routing.mail_intake import record_mail_sent
    from routing.tracking import customer_timeline

    make_expert(session, "Erik Expert")
    question = take(session, mail()).question
    record_mail_sent(session, T0, question, message_id="<vb.1@wadderveen.example.org>", to_email="jan@example.nl",
                     subject="Re: …", kind="received")
    session.commit()
    from flask_babel import force_locale
    from app.i18n import sentence

    assert question.language == "nl"  # a Dutch mail: its tracking page speaks Dutch
    with app.test_request_context(), force_locale(question.language):
        words = [sentence(entry.words) for entry in customer_timeline(question)]
    assert "We hebben uw e-mail ontvangen" in words and "We hebben u een e-mail gestuurd" in words
    steps = {step.kind: step.actor for step in question_timeline(session, question).steps}
    assert steps["mail_received"] == "customer" and steps["mail_sent"] == "system"


def test_huge_hostile_html_is_read_in_part_with_a_log_line(session, caplog):
    make_expert(session, "Erik Expert")
    html = ("<html><body><p>Beste gemeente, de stoep is kapot.</p>" + "<div><span onclick='x()'>" * 200_000
            + "<script>" + "alert(1);" * 100_000 + "</script>")
    message = EmailMessage()
    message["From"], message["Subject"], message["Message-ID"] = "x@example.nl", "Stoep", "<huge@example.nl>"
    message.set_content(html, subtype="html")
    question = take(session, message.as_bytes()).question
    assert question.text.startswith("Stoep\n\nBeste gemeente, de stoep is kapot.")
    assert "alert" not in question.text and "<span" not in question.text
    assert "read only in its first" in caplog.text


def test_html_to_text_keeps_the_words_and_drops_scripts_styles_and_a_tag_left_open():
    from routing.mail_parsing import html_to_text

    assert html_to_text('<style>p{}</style><p>Hallo &amp; dag</p><span onclick="x(') == "Hallo & dag"
    assert html_to_text("<p>Hallo<script>alert(1)") == "Hallo"
