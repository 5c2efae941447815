"""What the knowledge base resolves by itself, and where it is missing something.

- **First-contact resolution** per channel: the share of questions with an `answered_from_kb` event.
- **Self-service deflection**: public searches (role `public`) in the period that did not end in a
  question (`SearchLog.question_id` is NULL), over all public searches in the period. Searches have no
  topic and customers have no channel, so only the period applies to deflection and to zero-result queries.
- **Searches without a direct answer**: public searches whose best result was not confident enough
  (`SearchLog.answer_found` false; zero-result searches included), over the public searches that
  recorded it (searches logged before it was recorded count as neither).
- **Knowledge gaps**: the most frequent zero-result queries (case-insensitive, any searcher), and topics
  with routed questions in the period but no published article on that topic.

Read from `QuestionFacts` and `SearchLog`; nothing here knows about Flask.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session

from knowledge.messages import N_, Message
from routing.wording import CHANNEL_NAMES
from knowledge.models import Article, Topic, article_topics
from routing.analytics.cohort import Filters, in_cohort, share_of, topic_names
from routing.analytics.report import SHARE, Bars, Report, Table
from routing.models import QuestionFacts, SearchLog

EXPORT_LIMIT = 1000  # the CSV lists of gaps are longer than the page's


@dataclass(frozen=True)
class ChannelResolution:
    channel: str
    questions: int
    answered_from_kb: int

    @property
    def share(self) -> float | None:
        return share_of(self.answered_from_kb, self.questions)


@dataclass(frozen=True)
class Deflection:
    public_searches: int
    without_question: int

    @property
    def share(self) -> float | None:
        return share_of(self.without_question, self.public_searches)


@dataclass(frozen=True)
class DirectAnswers:
    searches: int  # public searches that recorded whether they found a direct answer
    without_answer: int

    @property
    def share(self) -> float | None:
        return share_of(self.without_answer, self.searches)


@dataclass(frozen=True)
class GapQuery:
    query: str
    searches: int
    last_searched: datetime


@dataclass(frozen=True)
class UncoveredTopic:
    topic_id: int
    slug: str
    topic: str
    routed_questions: int


@dataclass(frozen=True)
class SelfService:
    channels: tuple[ChannelResolution, ...]
    total: ChannelResolution
    deflection: Deflection
    direct_answers: DirectAnswers
    zero_result_queries: tuple[GapQuery, ...]
    uncovered_topics: tuple[UncoveredTopic, ...]


def self_service(session: Session, filters: Filters, *, limit: int = 20) -> SelfService:
    """What the knowledge base resolves by itself, and where it is missing something."""
    cohort = in_cohort(session, filters, QuestionFacts)
    by_channel = session.execute(
        select(QuestionFacts.channel, func.count(),
               func.count(case((QuestionFacts.answered_from_kb.is_(True), 1))))
        .where(*cohort).group_by(QuestionFacts.channel)).all()
    asked = {channel: n for channel, n, _ in by_channel}
    from_kb = {channel: n for channel, _, n in by_channel if n}
    channels = tuple(ChannelResolution(channel, n, from_kb.get(channel, 0)) for channel, n in
                     sorted(asked.items(), key=lambda item: (-item[1], item[0])))
    total = ChannelResolution("all channels", sum(asked.values()), sum(from_kb.values()))

    period = filters.period
    searched = [SearchLog.at >= period.start, SearchLog.at < period.end]
    public, without_question = session.execute(
        select(func.count(), func.count(case((SearchLog.question_id.is_(None), 1))))
        .where(SearchLog.role == "public", *searched)).one()

    told, without_answer = session.execute(
        select(func.count(SearchLog.answer_found), func.count(case((SearchLog.answer_found.is_(False), 1))))
        .where(SearchLog.role == "public", *searched)).one()

    query = func.lower(SearchLog.query)
    gaps = session.execute(
        select(query, func.count(), func.max(SearchLog.at))
        .where(SearchLog.result_count == 0, *searched)
        .group_by(query).order_by(func.count().desc(), query).limit(limit))

    published_on_topic = exists().where(article_topics.c.topic_id == QuestionFacts.topic_id,
                                        article_topics.c.article_id == Article.id,
                                        Article.status == "published")
    routed = func.count().label("routed")
    uncovered = session.execute(
        select(Topic.id, Topic.slug, routed)
        .join(QuestionFacts, and_(QuestionFacts.topic_id == Topic.id, QuestionFacts.routed > 0))
        .where(*cohort, ~published_on_topic)
        .group_by(Topic.id, Topic.slug)
        .order_by(routed.desc(), Topic.slug).limit(limit)).all()
    names = topic_names(session) if uncovered else {}
    return SelfService(
        channels=channels, total=total, deflection=Deflection(public, without_question),
        direct_answers=DirectAnswers(told, without_answer),
        zero_result_queries=tuple(GapQuery(q, n, at) for q, n, at in gaps),
        uncovered_topics=tuple(UncoveredTopic(tid, slug, names[tid], n) for tid, slug, n in uncovered))



# --- the report: its page's charts and its CSV tables ---------------------------------------------------

def _charts(figures: SelfService) -> dict:
    return {
        "fcr": Bars(N_("First-contact resolution per channel"),
                    [(Message(CHANNEL_NAMES.get(c.channel, c.channel)), c.share) for c in figures.channels], SHARE),
        "gaps": Bars(N_("Most frequent searches without results"),
                     [(g.query, g.searches) for g in figures.zero_result_queries[:10]]),
        "uncovered": Bars(N_("Routed questions on topics without a published article"),
                          [(t.topic, t.routed_questions) for t in figures.uncovered_topics[:10]]),
    }


REPORT = Report(
    name="self_service", title=N_("Self-service & gaps"), charts=_charts,
    query=lambda session, filters, now: self_service(session, filters),
    export_query=lambda session, filters, now: self_service(session, filters, limit=EXPORT_LIMIT), tables=(
        Table("channels", ("channel", "questions", "answered_from_kb", "share"),
              lambda f: ((c.channel, c.questions, c.answered_from_kb, c.share) for c in f.channels + (f.total,))),
        Table("deflection", ("public_searches", "without_question", "share"),
              lambda f: [(f.deflection.public_searches, f.deflection.without_question, f.deflection.share)]),
        Table("without-direct-answer", ("public_searches", "without_direct_answer", "share"),
              lambda f: [(f.direct_answers.searches, f.direct_answers.without_answer, f.direct_answers.share)]),
        Table("zero-result-queries", ("query", "searches", "last_searched"),
              lambda f: ((g.query, g.searches, g.last_searched) for g in f.zero_result_queries)),
        Table("uncovered-topics", ("topic", "slug", "routed_questions"),
              lambda f: ((t.topic, t.slug, t.routed_questions) for t in f.uncovered_topics)),
    ))
