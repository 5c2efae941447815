"""Answering a search from a replica: keyword and meaning candidates, fused, as hits with snippets.

Everything here reads the replica (`knowledge.search.replica`) and writes none of it: what the
indexes hold changes only by following the change log. What is kept here is this process's own
cache of query vectors, so that search-as-you-type embeds each typed prefix once.
"""
from __future__ import annotations

import html
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import numpy as np

from knowledge.search.confidence import CROWD, Evidence, confidences, threshold
from knowledge.search.documents import split_key
from knowledge.search.embeddings import Embedder
from knowledge.search.keywords import KeywordHit
from knowledge.search.query_text import clean_query, query_as_typed
from knowledge.search.replica import IndexReplica
from knowledge.search.vectors import VectorSpace

CANDIDATES = 100  # from each signal, before fusion


@dataclass(frozen=True)
class SearchHit:
    kind: str
    id: int
    title: str
    snippet: str  # HTML: escaped text, matched words in <mark>
    score: float
    language: str
    audience: str
    review_overdue: bool = False
    # The probability that this result answers the query (`knowledge.search.confidence`), and
    # whether that reaches its model's threshold: on the first result, whether an answer was found.
    confidence: float = 0.0
    answers: bool = False
    evidence: Evidence | None = None  # what the ranking knew of it, for calibration


def answer_found(hits: list[SearchHit]) -> bool:
    """Whether the search found a direct answer: its best result is confident enough."""
    return bool(hits) and hits[0].answers


class HybridSearch:
    """Searches and nearest documents over one replica's keyword postings and vector matrices."""

    def __init__(self, replica: IndexReplica):
        self.replica = replica
        self._query_vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._embedding_pool: ThreadPoolExecutor | None = None
        self._cache_lock = threading.Lock()

    def search(self, text: str, *, public_only: bool, kinds: tuple[str, ...] = ("article", "question"),
               limit: int = 10, today: date | None = None) -> list[SearchHit]:
        words = clean_query(text)
        if not words:
            return []
        # A query clearly in one language is answered from that language's documents: each model's
        # list is scaled to its own best, so another language's best would otherwise rank beside it,
        # and skipping the other model saves a query embedding.
        language = guess_language(words)
        languages = (language,) if language else ("en", "nl")
        spaces = {self.replica.space_for(lang).embedder.name: self.replica.space_for(lang) for lang in languages}
        # One space for every language (e5 for an organisation with Dutch): its cosines compare across
        # languages, so a Dutch query may find an English article; the query's words are then looked
        # for in every language's fields too (Dutch names stand in English articles: 'afvalstoffenheffing').
        if self.replica.one_space:
            languages = ("en", "nl")
        # The models read the words as typed; the keyword parser gets the cleaned `words`.
        as_typed = query_as_typed(text)
        spaces = {name: space for name, space in spaces.items() if len(space)}
        # The query is embedded while the keyword index is searched: the models run outside the GIL,
        # so e5's 15–35 ms and BM25F's 3–12 ms overlap on two cores instead of adding up.
        pending = self._start_query_vectors([space.embedder for space in spaces.values()], as_typed)
        keyword = self.replica.keywords.search(words, public_only=public_only, kinds=kinds, languages=languages,
                                               limit=CANDIDATES)
        vectors = pending()
        scored: dict[str, Evidence] = {}
        model_of: dict[str, str] = {}
        for name, space in spaces.items():
            vector = vectors[name]
            in_space = [h for h in keyword if self._space_of(h.key) is space]
            fused = fuse(space, vector, in_space, public_only=public_only, kinds=kinds)
            scored.update(fused)
            model_of.update(dict.fromkeys(fused, name))
        ranked = sorted(scored.items(), key=lambda item: (-item[1].fused, item[0]))
        # A result's confidence reads its neighbours (the next result, the first ten): the same
        # however many results the caller shows.
        evidence = [e for _, e in ranked[:max(limit + 1, CROWD)]]
        by_model = {name: confidences(evidence, name) for name in set(model_of.values())}
        ranked = ranked[:limit]
        snippets = self.replica.fulltext.snippets([key for key, _ in ranked], words)
        return [self._hit(key, e, by_model[model_of[key]][i], model_of[key], snippets.get(key), today)
                for i, (key, e) in enumerate(ranked)]

    def _space_of(self, key: str) -> VectorSpace | None:
        stored = self.replica.result_fields(key)
        return None if stored is None else self.replica.space_for(stored["language"])

    def similar_documents(self, text: str, *, kinds: tuple[str, ...] = ("question",), k: int = 200
                          ) -> list[tuple[str, int, float]]:
        """The k documents closest in meaning to `text` as (kind, id, similarity), best first.

        Similarities from different models are put on one scale (`Embedder.calibrated`), so a Dutch
        and an English neighbour can be compared.
        """
        words = " ".join((text or "").split())[:2000]
        if not words:
            return []
        found: dict[str, float] = {}
        for space in self.replica.spaces.values():
            if not len(space):
                continue
            keys, scores, _ = space.nearest(self._query_vector(space.embedder, words), public_only=False,
                                            kinds=kinds, k=k)
            for key, score in zip(keys, scores):
                found[key] = max(found.get(key, -1.0), space.embedder.calibrated(float(score)))
        ranked = sorted(found.items(), key=lambda item: -item[1])[:k]
        return [(*split_key(key), score) for key, score in ranked]

    def _start_query_vectors(self, embedders: list[Embedder], words: str
                             ) -> Callable[[], dict[str, np.ndarray]]:
        """Start embedding the query under each model (each on its own thread, as the C and torch
        code release the GIL); the returned function waits for them. A vector already cached (the
        next keystroke of the same prefix) is not computed again."""
        with self._cache_lock:
            missing = [e for e in embedders if (e.name, words.lower()) not in self._query_vectors]
            if missing and self._embedding_pool is None:
                self._embedding_pool = ThreadPoolExecutor(max_workers=max(2, len(self.replica.spaces)),
                                                          thread_name_prefix="query-embedding")
        futures = [self._embedding_pool.submit(self._query_vector, e, words) for e in missing]

        def vectors() -> dict[str, np.ndarray]:
            for future in futures:
                future.result()
            return {e.name: self._query_vector(e, words) for e in embedders}

        return vectors

    def _query_vector(self, embedder: Embedder, words: str) -> np.ndarray:
        cache_key = (embedder.name, words.lower())
        with self._cache_lock:
            vector = self._query_vectors.get(cache_key)
            if vector is not None:
                self._query_vectors.move_to_end(cache_key)
                return vector
        vector = embedder.embed_queries([words])[0]
        with self._cache_lock:
            self._query_vectors[cache_key] = vector
            if len(self._query_vectors) > 2048:
                self._query_vectors.popitem(last=False)
        return vector

    def _hit(self, key: str, evidence: Evidence, confidence: float, model: str, snippet: str | None,
             today: date | None) -> SearchHit:
        kind, i = split_key(key)
        f = self.replica.result_fields(key) or {}
        snippet = snippet or html.escape(f.get("teaser", ""))
        review_by = f.get("review_by")
        return SearchHit(kind=kind, id=i, title=f.get("title", ""), snippet=snippet,
                         score=round(evidence.fused, 4), confidence=round(confidence, 4),
                         answers=confidence >= threshold(model), evidence=evidence,
                         language=f.get("language", "en"), audience=f.get("audience", "internal"),
                         review_overdue=bool(today and review_by and review_by < today))


_FUNCTION_WORDS = {
    "nl": {"de", "het", "een", "ik", "je", "u", "mijn", "hoe", "wat", "waar", "wanneer", "waarom", "van", "voor",
           "niet", "is", "zijn", "kan", "kun", "moet", "wordt", "met", "op", "bij", "aan", "er", "dat", "die", "ook",
           "naar", "heb", "heeft", "mag", "wil", "worden", "als", "of", "om", "te", "uw", "welke"},
    "en": {"the", "a", "an", "i", "you", "my", "how", "what", "where", "when", "why", "of", "for", "not", "is",
           "are", "can", "must", "do", "does", "with", "on", "at", "to", "it", "that", "this", "have", "has", "may",
           "want", "be", "if", "or", "your", "which", "get", "should"},
}


def guess_language(text: str) -> str | None:
    """'en' or 'nl' when the query's little words say so clearly, else None (one word, names, …)."""
    words = text.lower().split()
    counts = {lang: sum(w in vocabulary for w in words) for lang, vocabulary in _FUNCTION_WORDS.items()}
    best = max(counts, key=counts.get)
    other = min(counts, key=counts.get)
    return best if counts[best] >= 1 and counts[best] > counts[other] else None


def fuse(space: VectorSpace, query: np.ndarray, keyword: list[KeywordHit], *, public_only: bool,
         kinds: tuple[str, ...]) -> dict[str, Evidence]:
    """Keyword and meaning, on one scale, for the documents of one embedding model.

    Each signal is min-max normalised over its own top candidates, then summed with the model's
    `keyword_weight` (0.1 for MiniLM: 0.9·dense + 0.1·keyword; 0.3 for e5 on Dutch).
    Measured on StackFAQ and PolicyQA-NL (docs/research/retrieval-lab.md): plain reciprocal-rank
    fusion lost to the best single signal; this calibrated sum did not. Models' cosines are not
    comparable, so each model's documents are fused on their own.
    """
    top_keys, top_scores, cosine = space.nearest(query, public_only=public_only, kinds=kinds, k=CANDIDATES,
                                                 also=[h.key for h in keyword])
    cosine.update(zip(top_keys, top_scores.tolist()))
    if not top_keys and not keyword:
        return {}
    low, high = (float(top_scores.min()), float(top_scores.max())) if len(top_scores) else (0.0, 1.0)
    keyword_scores = {h.key: h.score for h in keyword}
    k_low, k_high = (min(keyword_scores.values()), max(keyword_scores.values())) if keyword else (0.0, 1.0)
    floor = space.embedder.min_relevant
    keyword_weight = space.embedder.keyword_weight
    fused = {}
    for key in set(top_keys) | set(keyword_scores):
        cos = cosine.get(key)
        if cos is None:
            continue  # not in this model's matrix (yet): it cannot be ranked fairly here
        if key not in keyword_scores and cos < floor:
            continue  # shares no word and hardly any meaning: not a result at all
        dense = _scaled(cos, low, high)
        words = _scaled(keyword_scores[key], k_low, k_high) if key in keyword_scores else 0.0
        fused[key] = Evidence(fused=(1 - keyword_weight) * dense + keyword_weight * words, cosine=cos,
                              keyword=words, has_keyword=key in keyword_scores)
    return fused


def _scaled(value: float, low: float, high: float) -> float:
    return max((value - low) / (high - low), 0.0) if high > low else 1.0
