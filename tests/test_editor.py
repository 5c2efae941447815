"""Editors write and revise articles: every save a revision, diffable and restorable, never lost."""
from sqlalchemy import func, select

from knowledge.models import Article, ArticleRevision
from tests.factories import make_article, make_topic


def _form(**overrides):
    data = {"title": "Bulky waste pick-up", "body": "Book **online**.", "topics": ["waste"], "audience": "public",
            "language": "en", "status": "published", "note": ""}
    data.update(overrides)
    return data


def test_an_editor_creates_a_published_article_that_search_finds(client, auth, session, people):
    make_topic(session, "waste")
    auth.login(people["editor"].email)
    response = auth.post("/editor/articles/new", _form())
    assert response.status_code == 302
    article = session.scalar(select(Article))
    assert article.body_html == "<p>Book <strong>online</strong>.</p>"
    assert [t.slug for t in article.topics] == ["waste"]
    assert article.review_by is not None
    assert client.get("/api/v1/search?q=bulky").get_json()["results"][0]["id"] == article.id


def test_each_save_is_a_revision_with_author_and_a_readable_diff(client, auth, session, people):
    make_topic(session, "waste")
    article = make_article(session, "Green bin", "Emptied on Monday.\nPut it out before 7:30.", topics=("waste",))
    auth.login(people["editor"].email)
    page = client.get(f"/editor/articles/{article.id}/edit").get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in page
    response = auth.post(f"/editor/articles/{article.id}/edit",
                         _form(title="Green bin", body="Emptied on Thursday.\nPut it out before 7:30.",
                               note="new schedule", version="1"))
    assert response.status_code == 302
    revisions = session.scalars(select(ArticleRevision).order_by(ArticleRevision.number)).all()
    assert [(r.number, r.note) for r in revisions] == [(1, "created"), (2, "new schedule")]
    assert revisions[1].author_id == people["editor"].id

    diff = client.get(f"/editor/articles/{article.id}/diff?from=1&to=2").get_data(as_text=True)
    assert '<span class="diff-removed">- Emptied on Monday.</span>' in diff
    assert '<span class="diff-added">+ Emptied on Thursday.</span>' in diff
    assert '<span class="diff-same">  Put it out before 7:30.</span>' in diff


def test_restoring_an_old_revision_adds_a_new_one_and_keeps_history(client, auth, session, people):
    article = make_article(session, "Dog tax", "Old rate.")
    auth.login(people["editor"].email)
    auth.post(f"/editor/articles/{article.id}/edit", _form(title="Dog tax", body="New rate.", topics=[], version="1"))
    auth.post(f"/editor/articles/{article.id}/revisions/1/restore")
    session.expire_all()
    restored = session.get(Article, article.id)
    assert restored.body == "Old rate."
    assert [r.note for r in restored.revisions] == ["created", "", "restored revision 1"]


def test_a_second_editor_saving_a_stale_version_gets_a_conflict_and_nothing_is_lost(client, auth, session, people):
    article = make_article(session, "Passport fees", "€ 80.")
    auth.login(people["editor"].email)
    first = auth.post(f"/editor/articles/{article.id}/edit",
                      _form(title="Passport fees", body="€ 82 from 1 January.", topics=[], version="1"))
    assert first.status_code == 302
    second = auth.post(f"/editor/articles/{article.id}/edit",
                       _form(title="Passport fees", body="€ 81 (my stale edit).", topics=[], version="1"))
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert "Someone else saved this article" in page
    assert "€ 81 (my stale edit)." in page  # the stale text is still in the form, not thrown away
    session.expire_all()
    assert session.get(Article, article.id).body == "€ 82 from 1 January."
    assert session.scalar(select(func.count()).select_from(ArticleRevision)) == 2


def test_invalid_input_is_a_form_error_and_saves_nothing(client, auth, session, people):
    auth.login(people["editor"].email)
    for data in (_form(title="", topics=[]), _form(topics=["no-such-topic"]), _form(status="deleted", topics=[]),
                 _form(title="x" * 301, topics=[])):
        response = auth.post("/editor/articles/new", data)
        assert response.status_code == 400
    assert session.scalar(select(func.count()).select_from(Article)) == 0


def test_the_live_preview_renders_and_sanitises_like_a_save(client, auth, people):
    auth.login(people["editor"].email)
    assert 'data-preview="/api/v1/preview"' in client.get("/editor/articles/new").get_data(as_text=True)
    response = client.post("/api/v1/preview", data={"body": "**hi** <script>alert(1)</script>"})
    assert response.get_json()["html"] == "<p><strong>hi</strong> </p>"
    auth.logout()
    assert client.post("/api/v1/preview", data={"body": "x"}).status_code == 401


def test_agents_and_experts_cannot_write_articles(client, auth, session, people):
    article = make_article(session, "Parking", "Text.")
    for role in ("agent", "expert"):
        auth.login(people[role].email)
        assert auth.post("/editor/articles/new", _form(topics=[])).status_code == 403
        assert auth.post(f"/editor/articles/{article.id}/edit", _form(topics=[], version="1")).status_code == 403
        auth.logout()
    assert session.scalar(select(func.count()).select_from(Article)) == 1


def test_create_article_from_a_knowledge_gap_starts_with_its_words_and_topic(client, auth, session, people):
    make_topic(session, "parking", "Parking")
    auth.login(people["editor"].email)
    page = client.get("/editor/articles/new?title=camper+parking+dyke&topic=parking").get_data(as_text=True)
    assert 'value="camper parking dyke"' in page
    assert '<option selected value="parking">' in page or 'value="parking" selected' in page


def test_each_workflow_action_says_what_it_did_and_where_the_editor_goes_next(client, auth, session, people):
    draft = make_article(session, "Bins at Easter", "Same day.", status="in_review")
    other = make_article(session, "Bins on holidays", "As usual.", status="in_review")
    target = make_article(session, "Collection days", "Weekly.")
    auth.login(people["editor"].email)

    published = auth.post(f"/editor/articles/{draft.id}/publish", {"audience": "internal"})
    assert (published.status_code, published.location) == (303, f"/editor/articles/{draft.id}")
    assert "Published (internal)." in client.get(published.location).get_data(as_text=True)

    refused = auth.post(f"/editor/articles/{other.id}/send-back", {"comment": " "})
    assert (refused.status_code, refused.location) == (303, f"/editor/articles/{other.id}")
    assert "Say what should change, so the writer knows." in client.get(refused.location).get_data(as_text=True)
    itself = auth.post(f"/editor/articles/{other.id}/merge", {"target_id": other.id, "confirm": "yes"})
    assert (itself.status_code, itself.location) == (303, f"/editor/articles/{other.id}")
    assert "An article cannot be merged into itself." in client.get(itself.location).get_data(as_text=True)

    merged = auth.post(f"/editor/articles/{other.id}/merge", {"target_id": target.id, "confirm": "yes"})
    assert (merged.status_code, merged.location) == (303, f"/editor/articles/{target.id}")
    assert ("Proposed as a pending revision of “Collection days”: readers see nothing new until an editor "
            "publishes it.") in client.get(merged.location).get_data(as_text=True)
    session.expire_all()
    assert [session.get(Article, i).status for i in (draft.id, other.id)] == ["published", "archived"]


def test_a_workflow_post_the_table_does_not_know_changes_nothing(client, auth, session, people):
    draft = make_article(session, "Bins at Easter", "Same day.", status="in_review")
    auth.login(people["editor"].email)
    assert auth.post(f"/editor/articles/{draft.id}/archive").status_code == 404
    assert auth.post(f"/editor/articles/{draft.id}/publish", {"audience": "everyone"}).status_code == 400
    assert auth.post(f"/editor/articles/{draft.id}/merge", {"target_id": "999999"}).status_code == 404
    assert auth.post("/editor/articles/999999/publish", {"audience": "public"}).status_code == 404
    session.expire_all()
    assert (session.get(Article, draft.id).status, len(session.get(Article, draft.id).revisions)) == ("in_review", 1)


def test_a_dutch_editor_reads_the_workflow_its_refusals_and_revision_times_in_dutch(client, auth, session, people):
    editor = people["editor"]
    editor.locale = "nl"
    session.commit()
    draft = make_article(session, "Bins at Easter", "Same day.", status="in_review")
    auth.login(editor.email)

    published = auth.post(f"/editor/articles/{draft.id}/publish", {"audience": "internal"})
    page = client.get(published.location).get_data(as_text=True)
    assert "Gepubliceerd (intern)." in page and "Versies" in page
    assert "Published" not in page and "Revisions" not in page
    refused = auth.post(f"/editor/articles/{draft.id}/send-back", {"comment": " "})
    assert "Zeg wat er moet veranderen, zodat de schrijver het weet." in client.get(refused.location).get_data(
        as_text=True)
    queue = client.get("/editor/").get_data(as_text=True)
    assert "Redactiewachtrij" in queue and "Alle statussen" in queue and "All statuses" not in queue
