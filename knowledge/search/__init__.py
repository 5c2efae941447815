"""Search over articles and answered questions: the one entry for every floor above.

Callers import from `knowledge.search` only, never from its modules: what is not listed in
`__all__` may change without notice. Inside, the package has these parts:

- `documents`  what the indexes hold (`Document`), and where documents come from (`DocumentSource`)
- `changes`    the change log in the database that every replica follows
- `query_text` what a person typed, made fit for the parser, the models and the search log
- `fulltext`   the Whoosh index on disk: analysis, postings, snippets
- `keywords`   BM25F ranking in memory over Whoosh's postings
- `embeddings` text → vectors (`Embedder` and its backends, a deterministic double for tests)
- `vectors`    document vectors: stored in the database, served from memory
- `replica`    `IndexReplica`: this process's copy of the indexes, kept current from the change log
- `query`      `HybridSearch`: answering a search from the replica (candidates, fusion, hits, snippets)
- `compounds`  Dutch compounds split on the keyword side, from the index's own vocabulary
- `confidence` how sure a search is of each result, and whether it found an answer at all
- `service`    `SearchService`, joining the two: one process's search, built by the web layer and
               handed to `routing/`

This package never imports `routing/`, `app/` or Flask: answered questions reach it as documents
through a `DocumentSource` the web layer registers.
"""
from knowledge.search.changes import track
from knowledge.search.documents import ArticleSource, Document, DocumentSource
from knowledge.search.embeddings import E5Embedder, Embedder, HashingEmbedder, MiniLMEmbedder, embedder_named
from knowledge.search.fulltext import FIELD_BOOSTS, FullTextIndex
from knowledge.search.keywords import KeywordIndex
from knowledge.search.query import CANDIDATES, SearchHit, answer_found
from knowledge.search.query_text import MAX_QUERY_CHARS, clean_query, query_as_typed, without_control_characters
from knowledge.search.service import SearchService
from knowledge.search.vectors import VectorSpace, document_vectors, embed_and_store, load_vectors, stored_model

__all__ = [
    # searching
    "SearchService",
    "SearchHit",
    "answer_found",
    "CANDIDATES",
    # what a person typed, made safe
    "MAX_QUERY_CHARS",
    "clean_query",
    "query_as_typed",
    "without_control_characters",
    # documents and the change log
    "Document",
    "DocumentSource",
    "ArticleSource",
    "track",
    # embedders
    "Embedder",
    "MiniLMEmbedder",
    "E5Embedder",
    "HashingEmbedder",
    "embedder_named",
    # the index parts, for tests and benchmarks that build or inspect them directly
    "FullTextIndex",
    "FIELD_BOOSTS",
    "KeywordIndex",
    "VectorSpace",
    "document_vectors",
    "embed_and_store",
    "load_vectors",
    "stored_model",
]
