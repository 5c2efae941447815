"""Topic from the text: what a question is about when nobody said so (the common case).

Three kinds of evidence the organisation already has, each made a distribution over topics and then
averaged, so none of them needs a weight tuned to one data set:
- the nearest documents in meaning (articles and answered questions) vote for their topics, each with
  the same similarity kernel as learned expertise (routing.expertise.TAU);
- the keyword search's best hits vote for their topics by rank (1/rank);
- the words of each topic's name and slug that occur in the text ("WOZ", "grofvuil", "bijstand").
The confidence is the share of the best topic. Nothing here is stored; an agent's correction is (the
`topic_corrected` event, routing.intake).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.models import Article, Topic, article_topics
from knowledge.search import SearchService
from routing.expertise import TAU
from routing.models import Question, question_topics

NEIGHBOURS = 20
KEYWORD_HITS = 10
LOOK_FURTHER = 5  # at a past moment, later documents are dropped: ask for this many times more
MIN_TOPIC_WORD = 3
# Words of topic names that say nothing about a topic on their own.
NAME_STOP_WORDS = frozenset("and the for with of en het de van voor met local other".split())


@dataclass(frozen=True)
class TopicGuess:
    topic: Topic | None
    confidence: float  # share of the best topic in the distribution, 0 when nothing pointed anywhere
    distribution: tuple[tuple[str, float], ...] = ()  # (slug, share), best first

    def label(self) -> str:
        """"Lijkt op: Belastingen › WOZ (0,82)" — the Dutch number format the agents read."""
        if self.topic is None:
            return ""
        return f"Lijkt op: {self.topic.path} ({dutch_number(self.confidence)})"

    def as_payload(self) -> dict:
        return {"slug": self.topic.slug if self.topic else None, "path": self.topic.path if self.topic else None,
                "confidence": round(self.confidence, 3), "inferred": True, "label": self.label(),
                "distribution": [{"slug": s, "share": round(p, 3)} for s, p in self.distribution[:5]]}


def dutch_number(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def infer_topic(session: Session, search: SearchService | None, text: str,
                before: datetime | None = None) -> TopicGuess:
    """`before`: only what the organisation knew then counts (a preview `at` a past time, a replay):
    questions answered and articles created after it are left out."""
    topics = {t.slug: t for t in session.scalars(select(Topic))}
    if not topics or not (text or "").strip():
        return TopicGuess(topic=None, confidence=0.0)
    sources = [_topic_words(topics, text)]
    if search is not None:
        sources.append(_neighbours(session, search, text, before))
        sources.append(_keyword_hits(session, search, text, before))
    sources = [_normalised(s) for s in sources if sum(s.values()) > 0]
    if not sources:
        return TopicGuess(topic=None, confidence=0.0)
    total: dict[str, float] = {}
    for source in sources:
        for slug, share in source.items():
            total[slug] = total.get(slug, 0.0) + share / len(sources)
    ranked = sorted(((s, p) for s, p in total.items() if s in topics), key=lambda item: (-item[1], item[0]))
    if not ranked:
        return TopicGuess(topic=None, confidence=0.0)
    return TopicGuess(topic=topics[ranked[0][0]], confidence=ranked[0][1], distribution=tuple(ranked))


def _normalised(votes: dict[str, float]) -> dict[str, float]:
    mass = sum(votes.values())
    return {slug: v / mass for slug, v in votes.items()}


def _topic_words(topics: dict[str, Topic], text: str) -> dict[str, float]:
    lowered = text.lower()
    votes: dict[str, float] = {}
    for slug, topic in topics.items():
        words = {w for w in re.findall(r"[a-zà-ÿ]+", f"{topic.name} {slug.replace('-', ' ')}".lower())
                 if len(w) >= MIN_TOPIC_WORD and w not in NAME_STOP_WORDS}
        hits = sum(1 for w in words if re.search(rf"\b{re.escape(w)}|{re.escape(w)}\b", lowered))
        if hits:
            votes[slug] = float(hits)
    return votes


def _document_topics(session: Session, kinds_ids: list[tuple[str, int]]
                     ) -> dict[tuple[str, int], tuple[set[str], str]]:
    """(kind, id) → (its topics, its language)."""
    articles = [i for kind, i in kinds_ids if kind == "article"]
    questions = [i for kind, i in kinds_ids if kind == "question"]
    found: dict[tuple[str, int], tuple[set[str], str]] = {}
    if articles:
        for article_id, slug, language in session.execute(
                select(article_topics.c.article_id, Topic.slug, Article.language)
                .join(Topic, Topic.id == article_topics.c.topic_id)
                .join(Article, Article.id == article_topics.c.article_id)
                .where(article_topics.c.article_id.in_(articles))):
            found.setdefault(("article", article_id), (set(), language))[0].add(slug)
    if questions:
        languages = dict(session.execute(select(Question.id, Question.language)
                                         .where(Question.id.in_(questions))).all())
        for qid, slugs in question_topic_slugs(session, questions).items():
            found[("question", qid)] = (set(slugs), languages.get(qid, "en"))
    return found


def _per_language(found: dict[tuple[str, int], tuple[set[str], str]],
                  weighted: list[tuple[tuple[str, int], float]]) -> dict[str, float]:
    """Votes normalised within each language, then averaged over the languages: a Dutch question's
    few Dutch neighbours are closer than any English one merely by sharing the language, and must
    not outvote the English documents for that alone."""
    by_language: dict[str, dict[str, float]] = {}
    for key, weight in weighted:
        slugs, language = found.get(key, (set(), ""))
        votes = by_language.setdefault(language, {})
        for slug in slugs:
            votes[slug] = votes.get(slug, 0.0) + weight
    total: dict[str, float] = {}
    spoken = [votes for votes in by_language.values() if sum(votes.values()) > 0]
    for votes in spoken:
        for slug, share in _normalised(votes).items():
            total[slug] = total.get(slug, 0.0) + share / len(spoken)
    return total


def question_topic_slugs(session: Session, question_ids: list[int] | None = None) -> dict[int, frozenset[str]]:
    """Each answered question's topics: its own and the further ones of `question_topics`."""
    own = select(Question.id, Topic.slug).join(Topic, Question.topic_id == Topic.id)
    more = select(question_topics.c.question_id, Topic.slug).join(Topic, question_topics.c.topic_id == Topic.id)
    if question_ids is not None:
        own = own.where(Question.id.in_(question_ids))
        more = more.where(question_topics.c.question_id.in_(question_ids))
    found: dict[int, set[str]] = {}
    for qid, slug in session.execute(own.union_all(more)):
        found.setdefault(qid, set()).add(slug)
    return {qid: frozenset(slugs) for qid, slugs in found.items()}


def _neighbours(session: Session, search: SearchService, text: str, before: datetime | None) -> dict[str, float]:
    near = search.similar_documents(text, kinds=("article", "question"), k=NEIGHBOURS * (LOOK_FURTHER if before else 1))
    near = _known_then(session, near, before, key=lambda hit: (hit[0], hit[1]))[:NEIGHBOURS]
    found = _document_topics(session, [(kind, i) for kind, i, _ in near])
    return _per_language(found, [((kind, i), math.exp((similarity - 1.0) / TAU)) for kind, i, similarity in near])


def _keyword_hits(session: Session, search: SearchService, text: str, before: datetime | None) -> dict[str, float]:
    hits = search.search(text, public_only=False, kinds=("article", "question"),
                         limit=KEYWORD_HITS * (LOOK_FURTHER if before else 1))
    hits = _known_then(session, hits, before, key=lambda hit: (hit.kind, hit.id))[:KEYWORD_HITS]
    found = _document_topics(session, [(h.kind, h.id) for h in hits])
    return _per_language(found, [((h.kind, h.id), 1.0 / rank) for rank, h in enumerate(hits, start=1)])


def _known_then(session: Session, hits: list, before: datetime | None, key) -> list:
    """The hits that existed at `before`: questions answered by then, articles created by then."""
    if before is None:
        return hits
    keys = [key(hit) for hit in hits]
    questions = [i for kind, i in keys if kind == "question"]
    articles = [i for kind, i in keys if kind == "article"]
    known = set()
    if questions:
        known |= {("question", i) for i, at in session.execute(
            select(Question.id, Question.answered_at).where(Question.id.in_(questions))) if at and at <= before}
    if articles:
        known |= {("article", i) for i, at in session.execute(
            select(Article.id, Article.created_at).where(Article.id.in_(articles))) if at and at <= before}
    return [hit for hit, k in zip(hits, keys) if k in known]
