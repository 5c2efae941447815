"""A demo expert opens a question that came in by e-mail: the customer's mail and its attachments are on
the question's page, the attachment downloads, the refused one is named, the route shows the mail."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.demo.load import load_demo
from routing.mail_intake import take_in_mail
from routing.models import Question
from routing.sla import DEFAULT_BUSINESS_HOURS, BusinessHours

pytestmark = pytest.mark.browser
CORPUS = Path(__file__).resolve().parents[1] / "mail_corpus"
SHOTS = Path(os.environ.get("MAIL_SHOTS", Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"))


def test_a_demo_expert_reads_a_mailed_question_and_downloads_its_attachment(app, person, session, clock):
    load_demo(session, clock.now, password=app.config["DEMO_PASSWORD"])
    session.commit()
    outcome = take_in_mail(session, clock.now, (CORPUS / "18_refused_attachment.eml").read_bytes(),
                           search=None, hours=BusinessHours(DEFAULT_BUSINESS_HOURS))
    session.commit()
    question = session.get(Question, outcome.question.id)
    assert question.owner is not None

    expert = person()
    page = expert.sign_in(question.owner.email, app.config["DEMO_PASSWORD"])
    page.goto("/inbox/")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "mail_1_inbox.png"), full_page=True)
    page.goto(f"/inbox/questions/{question.reference}")
    mails = page.locator("section.mails")
    assert "Hierbij het ingevulde formulier" in mails.inner_text()
    assert "formulier.exe — niet bewaard: type application/x-msdownload" in mails.inner_text()  # the demo expert reads Dutch
    page.screenshot(path=str(SHOTS / "mail_2_question.png"), full_page=True)
    with page.expect_download() as download_info:
        mails.get_by_role("link", name="scan.png").click()
    download = download_info.value
    assert download.suggested_filename == "scan.png"
    assert Path(download.path()).read_bytes().startswith(b"\x89PNG")
    assert "mail ontvangen" in page.locator("ol.timeline").inner_text()
    assert expert.server_errors == [] and expert.dialogs == []
