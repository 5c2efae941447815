"""Self-service always offers a next step: asking, from home, every result list, every article and after a
"No"; a reader's "No" with a comment lands in the editor's "Flagged by readers", review dates in their own list."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from knowledge.models import ArticleFeedback
from tests.conftest import csrf_token_from
from tests.factories import T0, make_article, make_topic

DUTCH = {"Accept-Language": "nl-NL,nl;q=0.9"}


def _ask_links(html: str) -> list[str]:
    return [link.replace("&amp;", "&") for link in re.findall(r'href="(/ask[^"]*)"', html)]


def test_home_results_and_every_article_link_to_the_ask_form(client, session):
    make_topic(session, "afval", "Afval")
    article = make_article(session, "Grofvuil laten ophalen", "Maak een afspraak via de website.", topics=("afval",),
                           language="nl")
    assert _ask_links(client.get("/", headers=DUTCH).get_data(as_text=True)) == ["/ask"]
    results = client.get("/?q=grofvuil", headers=DUTCH).get_data(as_text=True)
    assert "Grofvuil laten ophalen" in results and "/ask?q=grofvuil" in _ask_links(results)

    search_id = re.search(r'/articles/\d+\?s=(\d+)', results).group(1)
    page = client.get(f"/articles/{article.id}?s={search_id}", headers=DUTCH).get_data(as_text=True)
    assert f"/ask?q=grofvuil&article={article.id}" in _ask_links(page) and "Stel uw vraag" in page

    ask = client.get(f"/ask?q=grofvuil&article={article.id}", headers=DUTCH).get_data(as_text=True)
    assert re.search(r">\s*grofvuil</textarea>", ask) and "Over het artikel: Grofvuil laten ophalen" in ask
    assert re.search(r'<option selected value="afval">|value="afval" selected', ask)


def test_a_no_with_a_comment_offers_to_ask_and_lands_in_flagged_by_readers(client, auth, session, people, clock):
    article = make_article(session, "Hondenbelasting", "€ 98 per jaar.", language="nl")
    old = make_article(session, "Oude regels", "Verouderd.", now=T0 - timedelta(days=400))
    page = client.get(f"/articles/{article.id}?q=hond", headers=DUTCH).get_data(as_text=True)
    answer = client.post(f"/articles/{article.id}/feedback", headers=DUTCH, data={
        "csrf_token": csrf_token_from(page), "helpful": "no", "q": "hond",
        "comment": "Wat kost een tweede hond?"})
    after = client.get(answer.location, headers=DUTCH).get_data(as_text=True)
    assert "Jammer dat dit u niet hielp" in after and f"/ask?q=hond&article={article.id}" in _ask_links(after)

    too_long = client.post(f"/articles/{article.id}/feedback", data={
        "csrf_token": csrf_token_from(page), "helpful": "no", "comment": "x" * 1001})
    assert "A comment has at most 1,000 characters." in client.get(too_long.location).get_data(as_text=True)
    assert len(session.scalars(select(ArticleFeedback)).all()) == 1

    auth.login(people["editor"].email)
    queue = client.get("/editor/").get_data(as_text=True)
    readers = queue.split("Flagged by readers")[1].split("Past their review date")[0]
    assert "Hondenbelasting" in readers and "Wat kost een tweede hond?" in readers
    assert "Oude regels" not in readers
    assert "Oude regels" in queue.split("Past their review date")[1]

    done = auth.post(f"/editor/articles/{article.id}/readers-handled")
    assert "marked as dealt with" in client.get(done.location).get_data(as_text=True)
    assert "Flagged by readers" not in client.get("/editor/").get_data(as_text=True)
    assert old.id
