"""Bulk import keeps the valid lines and names the bad ones; the index survives two writers at once."""
from __future__ import annotations

import json
import os
import multiprocessing

from sqlalchemy import func, select

from knowledge.search import Document, FullTextIndex
from knowledge.models import Article


def test_kb_import_keeps_valid_lines_reports_invalid_ones_by_number_and_ignores_unknown_fields(runner, session, tmp_path):
    from tests.factories import make_topic

    make_topic(session, "parking")
    lines = [
        json.dumps({"title": "Visitor parking", "body": "Use the app.", "topics": ["parking"], "audience": "public",
                    "language": "en", "status": "published"}),
        "{not json",
        json.dumps({"title": "", "body": "No title"}),
        json.dumps({"title": "Unknown topic", "body": "x", "topics": ["space-travel"]}),
        "",
        json.dumps({"title": "Bad status", "body": "x", "status": "lost"}),
        json.dumps(["a", "list"]),
        json.dumps({"title": "Extra field", "body": "x", "colour": "red"}),
        json.dumps({"title": "Internal note", "body": "Staff only.", "audience": "internal", "status": "draft"}),
    ]
    path = tmp_path / "articles.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = runner.invoke(args=["kb", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "Imported 3 articles: 3 created, 0 updated, 0 unchanged; skipped 5 invalid lines." in result.output
    for number, reason in [(2, "not valid JSON"), (3, "needs a title"), (4, "unknown topic(s): space-travel"),
                           (6, "Unknown status"), (7, "must be a JSON object")]:
        assert f"line {number}: " in result.output and reason in result.output
    assert "line 8" not in result.output and "Ignored unknown field(s): colour (1 line)." in result.output
    titles = set(session.scalars(select(Article.title)))
    assert titles == {"Visitor parking", "Extra field", "Internal note"}


def test_imported_articles_are_searchable(runner, client, session, tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"title": "Wedding at the town hall", "body": "Book a date for your wedding."}) + "\n")
    assert runner.invoke(args=["kb", "import", str(path)]).exit_code == 0
    hits = client.get("/api/v1/search?q=wedding").get_json()["results"]
    assert [h["title"] for h in hits] == ["Wedding at the town hall"]


def _write_many(path: str, start: int, count: int) -> None:
    index = FullTextIndex(path)
    for i in range(start, start + count):
        index.write([Document("article", i, f"Title {i}", f"body text number {i}", "public", "en")])
    index.close()


def test_two_processes_writing_one_index_wait_for_each_other_and_lose_nothing(tmp_path):
    path = str(tmp_path / "whoosh")
    first = FullTextIndex(path)  # created and (emptily) rebuilt once, as the first process to start would
    first.mark_complete()
    first.close()
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write_many, args=(path, start, 25)) for start in (0, 1000)]
    for process in writers:
        process.start()
    for process in writers:
        process.join(120)
        assert process.exitcode == 0
    index = FullTextIndex(path)
    assert index.doc_count() == 50
    keys = {stored["key"] for _, stored, _ in index.contents().documents()}
    assert keys == {f"article:{i}" for i in [*range(25), *range(1000, 1025)]}


def _article(i: int, revision: int = 0) -> Document:
    return Document("article", i, f"Parking zone {i}", f"Permit text {i}, revision {revision}. " + "Zone rules. " * 30,
                    "public", "en")


def _rewrite_articles_until(path: str, seconds: float, commits) -> None:
    """Another worker saving answers: one commit per edit, so Whoosh merges segments and deletes their files."""
    import random
    import time

    index = FullTextIndex(path)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        index.write([_article(random.randrange(ARTICLES), commits.value + 1)])
        commits.value += 1
    index.close()


ARTICLES = 200


def test_snippets_stay_readable_while_other_threads_and_processes_commit_and_merge(tmp_path):
    """bench/load.py: 500s on search and the expert's question page, `stored_fields` answering None.

    Whoosh opens a segment's columns on first use; another process's merge had deleted them by then.
    And two request threads reading one searcher's files moved each other's file position."""
    import random
    import threading
    import time

    path = str(tmp_path / "whoosh")
    index = FullTextIndex(path)
    index.mark_complete()
    for first in range(0, ARTICLES, 10):  # many small segments, as a live index has
        index.write([_article(i) for i in range(first, first + 10)])
    seconds = 8.0
    spawn = multiprocessing.get_context("spawn")
    other_commits = spawn.Value("i", 0)
    other_process = spawn.Process(target=_rewrite_articles_until, args=(path, seconds, other_commits))
    other_process.start()
    stop = time.monotonic() + seconds
    errors, snippets, edits = [], [], []

    def request_thread():
        keys = [f"article:{i}" for i in range(ARTICLES)]
        while time.monotonic() < stop and not errors:
            index.refresh()  # the follower saw the other process's commit
            for key in random.sample(keys, 40):
                try:
                    found = index.snippets([key], "permit zone")
                except Exception as error:  # noqa: BLE001 - any failure is the finding
                    errors.append(f"{key}: {error!r}")
                    return
                snippets.append(found.get(key, ""))

    def follower_thread():  # this worker's own catch-up writes too
        while time.monotonic() < stop and not errors:
            edits.append(1)
            index.write([_article(random.randrange(ARTICLES), -len(edits))])
            time.sleep(0.02)

    threads = [threading.Thread(target=request_thread) for _ in range(3)] + [threading.Thread(target=follower_thread)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other_process.join(60)
    assert other_process.exitcode == 0
    assert errors == []
    # Both writers really wrote while the readers read (a loaded machine manages fewer; a dozen each suffice).
    assert len(snippets) > 500 and len(edits) >= 10 and other_commits.value >= 10
    assert all("<mark>Permit</mark>" in s for s in snippets), "a snippet was read from the wrong place"


def test_opening_an_index_while_another_process_commits_to_it_keeps_what_is_there(tmp_path, monkeypatch):
    """A commit deletes the files of the generation it replaces. Here another process commits each time
    the opening one has just listed the generations, so the one it is about to read is gone: the open
    took that missing file for damage and deleted the whole index, with the other process's writes
    (rare, but the likely reason the two-process test above once failed on a loaded machine)."""
    from whoosh.index import TOC, LockError

    path = str(tmp_path / "whoosh")
    other = FullTextIndex(path, writer_timeout=0)  # another process: it tries once, else waits its turn
    other.mark_complete()
    other.write([Document("article", 1, "Dog tax", "Register your dog.", "public", "en")])
    list_generations = TOC._latest_generation.__func__
    opening = committing = False
    committed_at_once, waited = [], []

    def other_process_commits_just_after_the_listing(cls, storage, indexname):
        nonlocal committing
        generation = list_generations(cls, storage, indexname)
        if opening and not committing:  # (the other process's own commit lists the generations too)
            committing = True
            doc = Document("article", 100 + len(committed_at_once) + len(waited), "Parking", "Permits.",
                           "public", "en")
            try:
                other.write([doc])
                committed_at_once.append(doc.key)
            except LockError:
                waited.append(doc)
            finally:
                committing = False
        return generation

    monkeypatch.setattr(TOC, "_latest_generation", classmethod(other_process_commits_just_after_the_listing))
    opening = True
    opened = FullTextIndex(path)
    opening = False
    for doc in waited:
        other.write([doc])
    assert committed_at_once or waited
    assert not opened.needs_rebuild, "a sound index was taken for a damaged one and rebuilt"
    opened.refresh()
    keys = {stored["key"] for _, stored, _ in opened.contents().documents()}
    assert keys == {"article:1", *committed_at_once, *(doc.key for doc in waited)}


def test_counts_of_articles_do_not_change_when_a_whole_import_is_invalid(runner, session, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text("nope\n[]\n", encoding="utf-8")
    result = runner.invoke(args=["kb", "import", str(path)])
    assert "Imported 0 articles: 0 created, 0 updated, 0 unchanged; skipped 2 invalid lines." in result.output
    assert session.scalar(select(func.count()).select_from(Article)) == 0


def test_a_vector_stored_by_an_older_recipe_is_neither_loaded_nor_reused(session):
    from knowledge.models import DocumentVector
    from knowledge.search import HashingEmbedder, VectorSpace, embed_and_store, load_vectors, stored_model

    doc = Document("article", 1, "Green bin", "Emptied on Monday.", "public", "en")
    space = VectorSpace(HashingEmbedder())
    old = DocumentVector(doc_key=doc.key, model=space.embedder.name, content_hash=doc.content_hash,
                         vector=b"\x00" * 4 * space.embedder.dim)  # stored before recipes were named
    session.add(old)
    session.flush()
    load_vectors(session, space, {doc.key: doc})
    assert doc.key not in space
    embed_and_store(session, space, [doc])
    fresh = session.get(DocumentVector, (doc.key, stored_model(space.embedder)))
    assert fresh is not None and fresh.vector != old.vector and doc.key in space


def test_two_workers_storing_the_vector_of_the_same_new_document_do_not_collide(session):
    """Each worker's memory follows the change log, so two embed the same new article at once. Here the
    other worker commits its row at the worst moment: after this one found none, just before this
    one's write reaches the database (a look-up followed by an insert failed there on the key)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from knowledge.models import DocumentVector
    from knowledge.search import HashingEmbedder, VectorSpace, document_vectors, embed_and_store, stored_model

    doc = Document("article", 7, "Dog tax", "Register your dog.", "public", "en")
    embedder = HashingEmbedder()
    engine = session.get_bind()
    raced = []

    def other_worker_commits_first(conn, cursor, statement, parameters, context, executemany):
        if raced or not statement.lstrip().upper().startswith("INSERT INTO DOCUMENT_VECTORS"):
            return
        raced.append(True)
        with Session(engine) as other:
            other.add(DocumentVector(doc_key=doc.key, model=stored_model(embedder), content_hash=doc.content_hash,
                                     vector=document_vectors(embedder, [doc])[0].tobytes()))
            other.commit()

    event.listen(engine, "before_cursor_execute", other_worker_commits_first)
    try:
        embed_and_store(session, VectorSpace(embedder), [doc])
        session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", other_worker_commits_first)
    assert raced
    stored = session.scalars(select(DocumentVector).where(DocumentVector.doc_key == doc.key)).all()
    assert len(stored) == 1 and stored[0].content_hash == doc.content_hash


def test_only_changes_the_index_reads_are_logged_for_it(session):
    from datetime import timedelta

    from knowledge.models import IndexChange
    from tests.factories import T0, make_article

    article = make_article(session, "Green bin", "Emptied on Monday.")
    logged = session.scalar(select(func.count()).select_from(IndexChange))
    article.flagged_at = T0 + timedelta(days=1)  # a flag is not indexed
    session.commit()
    assert session.scalar(select(func.count()).select_from(IndexChange)) == logged
    article.title = "Organic waste bin"
    session.commit()
    assert session.scalar(select(func.count()).select_from(IndexChange)) == logged + 1


def test_an_index_left_half_built_is_rebuilt_on_the_next_open(tmp_path):
    path = str(tmp_path / "whoosh")
    first = FullTextIndex(path)
    assert first.needs_rebuild
    first.write([Document("article", 1, "Half", "built", "public", "en")])  # killed before it finished
    first.close()
    assert FullTextIndex(path).needs_rebuild
    done = FullTextIndex(path)
    done.mark_complete()
    done.close()
    assert not FullTextIndex(path).needs_rebuild


def test_stored_vectors_load_batch_by_batch_into_a_matrix_sized_once(session, monkeypatch):
    """A worker's start-up reads vectors a few at a time; every document still gets exactly its own."""
    import numpy as np

    import knowledge.search.vectors as vectors  # white-box: its batch size is patched below
    from knowledge.search import HashingEmbedder, VectorSpace, embed_and_store, load_vectors

    docs = [Document("article", i, f"Title {i}", f"Body {i} about bins", "public" if i % 2 else "internal", "en")
            for i in range(1, 12)]
    first = VectorSpace(HashingEmbedder())
    embed_and_store(session, first, docs)
    session.commit()
    expected = {d.key: first.nearest(np.eye(first.embedder.dim, dtype=np.float32)[0], public_only=False,
                                     kinds=("article",), k=20, also=[d.key])[2][d.key] for d in docs}

    monkeypatch.setattr(vectors, "LOAD_BATCH", 3)
    restarted = VectorSpace(HashingEmbedder())
    load_vectors(session, restarted, {d.key: d for d in docs[:10]})  # the 11th is no longer indexed
    assert len(restarted) == 10 and docs[10].key not in restarted
    assert len(restarted._matrix) == 10  # reserved once, not grown by doubling
    query = np.eye(restarted.embedder.dim, dtype=np.float32)[0]
    _, _, cosines = restarted.nearest(query, public_only=False, kinds=("article",), k=20,
                                      also=[d.key for d in docs[:10]])
    assert cosines == {k: expected[k] for k in cosines} and len(cosines) == 10


def test_segments_are_separate_files_read_from_disk_not_copied_into_memory(tmp_path):
    """Whoosh copies each part of a compound segment into memory when it opens it (about 4 KB per
    document, per worker); separate files are read from the operating system's page cache."""
    index = FullTextIndex(str(tmp_path / "whoosh"))
    index.write([Document("article", i, f"Bin {i}", "Emptied weekly.", "public", "en") for i in range(3)])
    index.write([Document("article", 9, "Dog tax", "Register your dog.", "public", "en")])
    names = os.listdir(tmp_path / "whoosh")
    assert not [n for n in names if n.endswith(".seg")]
    assert [n for n in names if n.endswith(".pst")] and [n for n in names if n.endswith("_stored.col")]
    assert index.doc_count() == 4
