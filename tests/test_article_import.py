"""`flask kb import` takes real exports: keyed by external_id (a re-import updates, never copies),
topics by slug or name, unknown fields ignored once, bad lines named and harmless, CSV as well as JSON Lines."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from knowledge.models import Article, ArticleRevision
from tests.factories import make_topic


@pytest.fixture
def topics(session):
    return {"parking": make_topic(session, "parking", "Parking & permits"),
            "waste": make_topic(session, "waste", "Afval en recycling")}


def jsonl(tmp_path, *records, name="export.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return str(path)


def kb_import(runner, path, *options):
    result = runner.invoke(args=["kb", "import", path, *options])
    assert result.exit_code == 0, result.output
    return result.output


def articles(session) -> list[Article]:
    session.expire_all()
    return session.scalars(select(Article).order_by(Article.id)).all()


def revisions(session, article: Article) -> int:
    return session.scalar(select(func.count()).where(ArticleRevision.article_id == article.id))


PERMIT = {"external_id": "KB-17", "title": "Visitor parking permit", "body": "Apply online.", "topics": ["parking"]}


def test_reimporting_an_export_updates_the_same_article_and_leaves_unchanged_ones_alone(runner, session, tmp_path,
                                                                                        topics):
    waste = {"external_id": 18, "title": "Bulky waste", "body": "Book a pick-up.", "topics": ["waste"]}
    out = kb_import(runner, jsonl(tmp_path, PERMIT, waste))
    assert "2 created, 0 updated, 0 unchanged; skipped 0 invalid lines." in out

    changed = {**PERMIT, "body": "Apply online or at the desk."}
    out = kb_import(runner, jsonl(tmp_path, changed, waste, name="again.jsonl"))
    assert "0 created, 1 updated, 1 unchanged" in out

    permit, bulky = articles(session)
    assert (permit.external_id, permit.body, permit.status) == ("KB-17", "Apply online or at the desk.", "published")
    assert (revisions(session, permit), revisions(session, bulky)) == (2, 1)
    assert bulky.external_id == "18"


def test_an_updated_import_keeps_the_status_the_import_gives(runner, session, tmp_path, topics):
    kb_import(runner, jsonl(tmp_path, PERMIT))
    kb_import(runner, jsonl(tmp_path, {**PERMIT, "status": "archived"}, name="again.jsonl"))
    [permit] = articles(session)
    assert permit.status == "archived" and revisions(session, permit) == 2


def test_topics_are_taken_by_slug_or_name_in_any_case_and_an_unknown_one_refuses_its_line(runner, session, tmp_path,
                                                                                         topics):
    path = jsonl(tmp_path,
                 {"title": "By name", "body": "x", "topics": ["parking & PERMITS"]},
                 {"title": "By slug", "body": "x", "topics": ["Waste", "parking"]},
                 {"title": "Unknown", "body": "x", "topics": ["parking", "space travel"]})
    result = runner.invoke(args=["kb", "import", path])

    assert "line 3: unknown topic(s): space travel (give a topic's slug or name)" in result.output
    assert "2 created, 0 updated, 0 unchanged; skipped 1 invalid line." in result.output
    found = {a.title: sorted(t.slug for t in a.topics) for a in articles(session)}
    assert found == {"By name": ["parking"], "By slug": ["parking", "waste"]}


def test_unknown_fields_are_reported_once_with_counts_and_the_lines_still_imported(runner, session, tmp_path):
    lines = [{"id": n, "url": f"https://old.example/{n}", "title": f"Article {n}", "body": "x"} for n in range(3)]
    lines[0]["author"] = "someone"
    out = kb_import(runner, jsonl(tmp_path, *lines))

    assert out.count("Ignored unknown field(s)") == 1
    assert "Ignored unknown field(s): author (1 line), id (3 lines), url (3 lines)." in out
    assert "3 created" in out and len(articles(session)) == 3


def test_a_bad_line_is_named_and_changes_nothing_not_even_its_existing_article(runner, session, tmp_path, topics):
    kb_import(runner, jsonl(tmp_path, PERMIT))
    result = runner.invoke(args=["kb", "import", jsonl(
        tmp_path, {**PERMIT, "body": "Changed.", "status": "lost"}, "{oops", {**PERMIT, "external_id": ["x"]},
        name="bad.jsonl")])

    for number, reason in [(1, "Unknown status 'lost'"), (2, "not valid JSON"), (3, '"external_id" must be')]:
        assert f"line {number}: {reason}" in result.output
    assert "0 created, 0 updated, 0 unchanged; skipped 3 invalid lines." in result.output
    [permit] = articles(session)
    assert permit.body == "Apply online." and revisions(session, permit) == 1


def test_csv_with_a_header_row_semicolons_and_topics_in_one_cell(runner, session, tmp_path, topics):
    path = tmp_path / "export.csv"
    path.write_text(
        "\ufeffid;external_id;title;body;topics;status\n"
        '1;KB-1;Parking permit;"Apply online.\n\nOr at the desk.";Parking & permits, waste;published\n'
        "2;KB-2;Draft one;Not yet.;parking;draft\n"
        "3;KB-3;;No title;;\n"
        "4;KB-4;Mars;x;space;published\n", encoding="utf-8")
    result = runner.invoke(args=["kb", "import", str(path)])

    assert "2 created, 0 updated, 0 unchanged; skipped 2 invalid lines." in result.output
    # Numbered by the line each row starts on: the first row's body takes lines 2 to 4.
    assert "line 6: An article needs a title." in result.output
    assert "line 7: unknown topic(s): space" in result.output
    assert "Ignored unknown field(s): id (4 lines)." in result.output
    permit, draft = articles(session)
    assert (permit.external_id, permit.body, sorted(t.slug for t in permit.topics)) == (
        "KB-1", "Apply online.\n\nOr at the desk.", ["parking", "waste"])
    assert (draft.title, draft.status) == ("Draft one", "draft")

    # The same CSV again, as --format says (the name does not end in .csv): nothing changes.
    renamed = tmp_path / "export.txt"
    renamed.write_bytes(path.read_bytes())
    out = runner.invoke(args=["kb", "import", str(renamed), "--format", "csv"]).output
    assert "0 created, 0 updated, 2 unchanged" in out
    assert revisions(session, permit) == 1
