"""Answers become knowledge: captured as drafts, merged or published by editors, found again."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from knowledge.models import Article
from routing.models import Event, QuestionArticle
from routing.questions import NewQuestion, accept_question, answer_question, assign_to_expert, take_in_question
from tests.factories import T0, make_article, make_expert, make_topic


def _answered(session, expert, text, answer, *, keep=True, topic="parking"):
    question, _ = take_in_question(session, T0, NewQuestion(text=text, channel="phone", topic_slug=topic))
    assign_to_expert(session, T0, question, expert.id, due_at=T0 + timedelta(days=1), actor_id=None)
    accept_question(session, T0, question, expert_id=expert.id)
    answer_question(session, T0 + timedelta(hours=1), question, expert_id=expert.id, body=answer, worth_keeping=keep)
    session.commit()
    return question


@pytest.mark.model
def test_a_kept_answer_is_captured_merged_and_then_found_for_a_paraphrase(app, client, auth, session, people):
    app.config["SEARCH_EMBEDDERS"] = {"en": "minilm", "nl": "minilm"}
    make_topic(session, "parking", "Parking")
    petra = make_expert(session, "Petra Parkeer", knows={"parking": 3})
    target = make_article(session, "Parking permits for residents",
                          "Residents apply for a parking permit online with DigiD.", topics=("parking",))
    question = _answered(session, petra, "Can my carer park in front of my house with my resident permit?",
                         "Yes. Request a **care permit** next to your resident permit; it costs € 25 a year.")

    # Kept: a draft article exists at once, linked both ways, and the question is already searchable.
    link = session.scalar(select(QuestionArticle).where(QuestionArticle.relation == "captured"))
    draft = session.get(Article, link.article_id)
    assert (draft.status, draft.audience, [t.slug for t in draft.topics]) == ("draft", "internal", ["parking"])
    auth.login(people["editor"].email)
    staff_hits = client.get("/api/v1/search", query_string={"q": "carer park resident permit"}).get_json()["results"]
    assert any(h["kind"] == "question" and h["id"] == question.id for h in staff_hits)

    # The editor sees the existing article as a likely duplicate and merges into it.
    page = client.get(f"/editor/articles/{draft.id}").get_data(as_text=True)
    assert "Parking permits for residents" in page and "Merge into this" in page
    assert auth.post(f"/editor/articles/{draft.id}/merge", {"target_id": target.id, "confirm": "yes"}
                     ).status_code == 303
    session.expire_all()
    merged = session.get(Article, target.id)
    # A merge proposes; an editor publishes: only then is the text the article's.
    assert "care permit" not in merged.body and merged.revisions[-1].state == "pending"
    assert auth.post(f"/editor/articles/{target.id}/publish-revision", {"revision": 2}).status_code == 303
    session.expire_all()
    merged = session.get(Article, target.id)
    assert "care permit" in merged.body and [r.state for r in merged.revisions] == ["applied", "accepted", "applied"]
    assert (merged.status, merged.audience) == ("published", "public")
    assert session.get(Article, draft.id).status == "archived"
    assert session.scalar(select(QuestionArticle).where(QuestionArticle.relation == "merged")).article_id == target.id
    auth.logout()

    # A customer asks the same thing in other words and finds the merged public article.
    hits = client.get("/api/v1/search",
                      query_string={"q": "someone who looks after me needs to park near my home"}).get_json()["results"]
    assert hits[0]["id"] == target.id
    kinds = session.scalars(select(Event.kind).where(Event.kind.in_(("captured_as_article", "merged")))).all()
    assert sorted(kinds) == ["captured_as_article", "merged"]


def test_a_merge_changes_nothing_readers_see_until_an_editor_publishes_and_needs_a_confirmation(
        client, auth, session, people):
    """An internal captured draft merged into a public article: the public page and search keep the
    published text, the article stays public and published, until an editor publishes the revision."""
    target = make_article(session, "Bezwaar tegen de WOZ-waarde", "Maak binnen zes weken bezwaar via Mijn Loket.",
                          language="nl")
    draft = make_article(session, "Bezwaar WOZ (concept)", "Concept, alleen voor KCC: MARKER-INTERN-42.",
                         status="draft", audience="internal", language="nl")
    auth.login(people["editor"].email)

    unconfirmed = auth.post(f"/editor/articles/{draft.id}/merge", {"target_id": target.id})
    assert "Confirm the merge first" in client.get(unconfirmed.location).get_data(as_text=True)
    session.expire_all()
    assert (len(session.get(Article, target.id).revisions), session.get(Article, draft.id).status) == (1, "draft")

    confirm = client.get(f"/editor/articles/{draft.id}/merge?into={target.id}").get_data(as_text=True)
    assert "+ Concept, alleen voor KCC: MARKER-INTERN-42." in confirm and "show this text to" in confirm
    done = auth.post(f"/editor/articles/{draft.id}/merge", {"target_id": target.id, "confirm": "yes"})
    assert done.location == f"/editor/articles/{target.id}"
    assert "Pending revision 2" in client.get(done.location).get_data(as_text=True)
    auth.logout()

    public = client.get(f"/articles/{target.id}").get_data(as_text=True)
    assert "zes weken" in public and "MARKER-INTERN-42" not in public
    hits = client.get("/api/v1/search", query_string={"q": "MARKER-INTERN-42"}).get_json()["results"]
    assert all(h["id"] != target.id for h in hits)
    session.expire_all()
    assert (session.get(Article, target.id).status, session.get(Article, target.id).audience) == ("published", "public")

    auth.login(people["editor"].email)
    assert auth.post(f"/editor/articles/{target.id}/reject-revision", {"revision": 2}).status_code == 303
    session.expire_all()
    assert session.get(Article, draft.id).status == "draft"  # the rejected draft comes back to work on
    assert "MARKER-INTERN-42" not in client.get(f"/articles/{target.id}").get_data(as_text=True)
    # A rejected revision cannot be published afterwards.
    again = auth.post(f"/editor/articles/{target.id}/publish-revision", {"revision": 2})
    assert "not waiting for review" in client.get(again.location).get_data(as_text=True)
    assert "MARKER-INTERN-42" not in session.get(Article, target.id).body


def test_an_editor_captures_any_answered_question_and_publishes_it(client, auth, session, people):
    make_topic(session, "parking", "Parking")
    petra = make_expert(session, "Petra Parkeer")
    question = _answered(session, petra, "Is parking free on Sundays?", "Yes, everywhere except the centre.",
                         keep=False)
    auth.login(people["editor"].email)
    response = auth.post(f"/editor/capture/{question.id}")
    assert response.status_code == 303
    article = session.scalar(select(Article))
    assert auth.post(f"/editor/articles/{article.id}/publish", {"audience": "public"}).status_code == 303
    session.expire_all()
    article = session.get(Article, article.id)
    assert (article.status, article.audience) == ("published", "public")
    assert article.review_by is not None
    assert client.get("/api/v1/search?q=sundays").get_json()["results"][0]["id"] == article.id
    events = session.scalars(select(Event.kind).where(Event.article_id == article.id).order_by(Event.id)).all()
    assert events == ["captured_as_article", "published"]


def test_sending_back_needs_a_comment_and_returns_the_draft(client, auth, session, people):
    draft = make_article(session, "Half-written", "Todo", status="in_review")
    auth.login(people["editor"].email)
    auth.post(f"/editor/articles/{draft.id}/send-back", {"comment": ""})
    session.expire_all()
    assert session.get(Article, draft.id).status == "in_review"
    auth.post(f"/editor/articles/{draft.id}/send-back", {"comment": "Add the fees"})
    session.expire_all()
    article = session.get(Article, draft.id)
    assert (article.status, article.review_comment) == ("draft", "Add the fees")


def test_agents_and_experts_cannot_capture_publish_or_merge(client, auth, session, people):
    draft = make_article(session, "Draft", "x", status="draft")
    target = make_article(session, "Target", "y")
    petra = make_expert(session, "Petra Parkeer")
    make_topic(session, "parking")
    question = _answered(session, petra, "Q?", "A.", keep=False)
    for role in ("agent", "expert"):
        auth.login(people[role].email)
        assert auth.post(f"/editor/articles/{draft.id}/publish", {"audience": "public"}).status_code == 403
        assert auth.post(f"/editor/articles/{draft.id}/merge", {"target_id": target.id}).status_code == 403
        assert auth.post(f"/editor/capture/{question.id}").status_code == 403
        auth.logout()
    session.expire_all()
    assert session.get(Article, draft.id).status == "draft"
    assert session.scalar(select(func.count()).select_from(Article)) == 2


def test_repeated_unhelpful_feedback_flags_the_article_for_editors(client, auth, session, people):
    article = make_article(session, "Dog tax rates", "€ 98.")
    page = client.get(f"/articles/{article.id}").get_data(as_text=True)
    from tests.conftest import csrf_token_from

    token = csrf_token_from(page)
    for helpful in ("yes", "no", "no", "no"):
        assert client.post(f"/articles/{article.id}/feedback",
                           data={"csrf_token": token, "helpful": helpful}).status_code == 303
    session.expire_all()
    flagged = session.get(Article, article.id)
    assert flagged.flagged_at is not None and "3 readers said it did not help (1 said it did)" in flagged.flag_reason
    assert session.scalar(select(func.count()).select_from(Event).where(Event.kind == "flagged")) == 1
    auth.login(people["editor"].email)
    queue = client.get("/editor/").get_data(as_text=True)
    assert "Flagged by readers" in queue and "1 yes · 3 no" in queue


def test_articles_past_their_review_date_are_listed_and_flagged_in_staff_search(client, auth, session, people, clock):
    make_topic(session, "waste", review_days=30)
    make_article(session, "Old bin rules", "Bins out before 7:30.", topics=("waste",), now=T0 - timedelta(days=60))
    auth.login(people["agent"].email)
    hit = client.get("/api/v1/search?q=bins").get_json()["results"][0]
    assert hit["review_overdue"] is True
    auth.logout()
    public_hit = client.get("/api/v1/search?q=bins").get_json()["results"][0]
    assert public_hit["title"] == "Old bin rules" and public_hit["review_overdue"] is False
    auth.login(people["editor"].email)
    assert "Past their review date" in client.get("/editor/").get_data(as_text=True)


def test_articles_past_review_are_flagged_once_and_their_owner_is_told(app, session, people, clock):
    from app.background import tick
    from routing.models import Notification

    make_topic(session, "waste", review_days=30)
    article = make_article(session, "Old bin rules", "Bins out before 7:30.", topics=("waste",),
                           author=people["editor"], now=T0 - timedelta(days=60))
    tick(app)
    tick(app)
    session.expire_all()
    flagged = session.get(Article, article.id)
    assert flagged.flag_reason.startswith("past its review date")
    assert session.scalars(select(Notification.to_email).where(Notification.kind == "review_due")).all() == [
        people["editor"].email]
    assert session.scalar(select(func.count()).select_from(Event).where(Event.kind == "flagged")) == 1


def test_customers_ratings_of_answers_reach_the_editors_and_a_no_reopens_the_question(client, auth, session, people):
    from routing.questions import rate_answer

    make_topic(session, "parking")
    petra = make_expert(session, "Petra Parkeer")
    question = _answered(session, petra, "Is parking free on Sundays?", "Yes.", keep=False)
    rate_answer(session, T0 + timedelta(hours=2), question, helpful=False, comment="Not in the centre!")
    session.commit()
    assert (question.status, question.owner_id) == ("reopened", petra.id)
    auth.login(people["editor"].email)
    assert "0 helpful · 1 not helpful" in client.get("/editor/").get_data(as_text=True)


def test_personal_data_in_a_captured_draft_is_flagged_before_publish(client, auth, session, people):
    """A Dutch answer written to one customer: the draft is titled by the customer's question (not the
    agent's note), marked Dutch, without salutation or signature, and every trace of the customer is flagged;
    it cannot be published or merged until an editor has cleared each flag."""
    make_topic(session, "belastingen", "Belastingen")
    bea = make_expert(session, "Bea Belasting", knows={"belastingen": 3})
    question, _ = take_in_question(session, T0, NewQuestion(
        text="Hoe maak ik bezwaar tegen de WOZ-waarde van mijn huis?", channel="phone", topic_slug="belastingen",
        internal_note="Mevrouw Jansen belt voor de derde keer, is boos."))
    assign_to_expert(session, T0, question, bea.id, due_at=T0 + timedelta(days=1), actor_id=None)
    accept_question(session, T0, question, expert_id=bea.id)
    answer_question(session, T0, question, expert_id=bea.id, worth_keeping=True, body=(
        "Beste mevrouw Jansen,\n\n"
        "U kunt bezwaar maken via Mijn Loket binnen zes weken na de dagtekening. Voor Kerkstraat 41, 1234 AB "
        "Wadderveen zien wij nog geen bezwaar. Bel ons gerust op 06-12345678 of mail naar m.jansen@example.org; "
        "uw BSN 111222333 hoeft u niet te sturen.\n\n"
        "Met vriendelijke groet,\nBea Belasting\nTeam Belastingen"))
    session.commit()
    draft = session.scalar(select(Article).where(Article.status == "draft"))
    assert draft.title == "Hoe maak ik bezwaar tegen de WOZ-waarde van mijn huis?" and draft.language == "nl"
    assert "Beste mevrouw" not in draft.body and "vriendelijke groet" not in draft.body
    assert "Bea Belasting" not in draft.body and "Mevrouw Jansen belt" not in draft.body
    assert "Jansen" not in draft.revisions[0].note  # the history does not keep the salutation either
    flags = draft.privacy_flags.splitlines()
    assert flags == ["e-mail address: m.jansen@example.org", "address: Kerkstraat 41", "postcode: 1234 AB",
                     "phone number: 06-12345678", "BSN: 111222333"]

    auth.login(people["editor"].email)
    page = client.get(f"/editor/articles/{draft.id}").get_data(as_text=True)
    assert "May hold personal data" in page and "BSN: 111222333" in page
    refused = auth.post(f"/editor/articles/{draft.id}/publish", {"audience": "public"})
    assert "may still hold personal data" in client.get(refused.location).get_data(as_text=True)
    target = make_article(session, "Bezwaar tegen de WOZ-waarde", "Binnen zes weken.", language="nl")
    merge = auth.post(f"/editor/articles/{draft.id}/merge", {"target_id": target.id, "confirm": "yes"})
    assert "may still hold personal data" in client.get(merge.location).get_data(as_text=True)
    session.expire_all()
    assert session.get(Article, draft.id).status == "draft" and len(session.get(Article, target.id).revisions) == 1

    for flag in flags:
        assert auth.post(f"/editor/articles/{draft.id}/clear-flag", {"flag": flag}).status_code == 303
    assert auth.post(f"/editor/articles/{draft.id}/publish", {"audience": "public"}).status_code == 303
    session.expire_all()
    assert session.get(Article, draft.id).status == "published"


def test_a_nine_digit_number_is_a_bsn_only_when_it_passes_the_eleven_check():
    from knowledge.privacy import passes_eleven_check, personal_data
    assert passes_eleven_check("111222333") and not passes_eleven_check("123456789")
    assert [f.kind for f in personal_data("Dossier 123456789, BSN 111.22.2333")] == ["BSN"]


def test_duplicates_are_offered_only_above_the_measured_threshold_same_language_first(session):
    from routing.editorial import DUPLICATE_THRESHOLD, possible_duplicates
    draft = make_article(session, "WOZ bezwaar", "Concept.", status="draft", language="nl")
    english = make_article(session, "Objecting to the WOZ value", "Within six weeks.")
    dutch = make_article(session, "Bezwaar tegen de WOZ-waarde", "Binnen zes weken.", language="nl")
    unrelated = make_article(session, "Dog tax", "€ 98.")

    class Similar:  # the search's answer, fixed: what is under test is which of them the editor sees
        def similar_documents(self, text, *, kinds, k):
            return [("article", english.id, 0.71), ("article", dutch.id, 0.62),
                    ("article", unrelated.id, DUPLICATE_THRESHOLD - 0.01), ("article", draft.id, 1.0)]

    offered = possible_duplicates(session, Similar(), draft)
    assert [(a.id, s) for a, s in offered] == [(dutch.id, 0.62), (english.id, 0.71)]
