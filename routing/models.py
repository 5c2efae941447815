"""Tables of the routing floor: questions, their process memory, expertise and availability.

`Event` is append-only: the ORM refuses to update or delete one (routing.events, installed by
routing.session_hooks.register).
"""
from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
    Time,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from knowledge.base import Base, UTCDateTime
from knowledge.models import Article, Topic, User, one_of

CHANNELS = ("phone", "desk", "web", "email", "api")
PRIORITIES = ("low", "normal", "high", "urgent")
QUESTION_STATUSES = (
    "new",
    "answered_from_kb",
    "routed",
    "accepted",
    "waiting_for_customer",
    "answered",
    "closed",
    "reopened",
)
# A question in one of these is someone's work: it has an owner (or is about to get one) and a promise.
OPEN_STATUSES = ("new", "routed", "accepted", "waiting_for_customer", "reopened")
EVENT_KINDS = (
    "received",
    "searched",
    "suggested",
    "answered_from_kb",
    "routed",
    "accepted",
    "forwarded",
    "escalated",
    "info_requested",
    "customer_replied",
    "answered",
    "captured_as_article",
    "closed",
    "reopened",
    "customer_viewed",
    "customer_rated",
    # mail: what came in and went out by e-mail, and a customer's later message on an open question
    "mail_received",
    "mail_sent",
    "customer_wrote",
    # editorial steps, on articles: how knowledge grew
    "published",
    "sent_back",
    "merged",
    "flagged",
    # the agent chose another topic than the one inferred from the text: evidence for topic inference
    "topic_corrected",
)
PRESENCES = ("available", "busy", "away")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Question(Base):
    __tablename__ = "questions"
    __table_args__ = (
        CheckConstraint(one_of("channel", CHANNELS), name="known_channel"),
        CheckConstraint(one_of("priority", PRIORITIES), name="known_priority"),
        CheckConstraint(one_of("status", QUESTION_STATUSES), name="known_status"),
        Index("ix_questions_owner_status", "owner_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Public reference told to the customer, e.g. VB-2026-000123.
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    # SHA-256 of the secret tracking token; the token is shown once, at intake.
    tracking_token_hash: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(10))
    customer_name: Mapped[str | None] = mapped_column(String(120))
    # Lower case, so one customer's questions find each other (routing.customers).
    customer_email: Mapped[str | None] = mapped_column(String(254), index=True)
    customer_phone: Mapped[str | None] = mapped_column(String(40))  # as the customer gave it
    # The phone number's last nine digits: how routing.customers compares numbers.
    customer_phone_key: Mapped[str | None] = mapped_column(String(9), index=True)
    # The customer's question as they asked it: what the customer sees (tracking page, e-mail, API).
    text: Mapped[str] = mapped_column(Text)
    # What the agent noted for the backoffice: staff only, never shown to the customer.
    internal_note: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2), default="en")
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id"))
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    status: Mapped[str] = mapped_column(String(24), default="new", index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    taken_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The promise made to the customer; paused while waiting for the customer.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answer: Mapped[str | None] = mapped_column(Text)
    answer_html: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    worth_keeping: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the current owner got it: the accept window runs from here.
    routed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the "promise about to break" alarm went off for the current due time (fires once).
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped on every change: two experts acting on the same question at once cannot both win.
    version: Mapped[int] = mapped_column(Integer, default=1)

    topic: Mapped[Topic | None] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    taken_in_by: Mapped[User | None] = relationship(foreign_keys=[taken_in_by_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])
    events: Mapped[list[Event]] = relationship(back_populates="question", order_by="Event.id")
    article_links: Mapped[list[QuestionArticle]] = relationship(back_populates="question")

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Question {self.reference} {self.status}>"


class QuestionArticle(Base):
    """Which articles a question used (answered from the KB) or produced (captured, merged)."""

    __tablename__ = "question_articles"
    __table_args__ = (CheckConstraint(one_of("relation", ("used", "captured", "merged")), name="known_relation"),)

    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    relation: Mapped[str] = mapped_column(String(10), primary_key=True)

    question: Mapped[Question] = relationship(back_populates="article_links")
    article: Mapped[Article] = relationship()


class Event(Base):
    """One step in the life of a question: the process memory. Never updated, never deleted."""

    __tablename__ = "events"
    # Kinds are checked in record_event, not by a constraint: new steps must not need a table rebuild.
    __table_args__ = (
        Index("ix_events_kind_at", "kind", "at"),
        # Each question's steps in time order without reading the event rows (analytics).
        Index("ix_events_question_at_kind", "question_id", "at", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Most events belong to a question; editorial ones (published, merged, flagged) to an article.
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id"), index=True)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(24))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)

    question: Mapped[Question | None] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


# A question's further topics beside `Question.topic_id` (an imported question keeps every tag).
question_topics = Table(
    "question_topics",
    Base.metadata,
    Column("question_id", ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
)


class AnswerEvidence(Base):
    """An answer to a question besides the one on the question itself (`answered_by_id`): imported
    history keeps every answerer, accepted or not, so each of them counts as learned expertise."""

    __tablename__ = "answer_evidence"

    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted: Mapped[bool] = mapped_column(Boolean, default=False)


class DeclaredExpertise(Base):
    """What a person says (or an admin says) they know: a topic and a level 1–3."""

    __tablename__ = "declared_expertise"
    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 3", name="level_range"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger, default=2)

    user: Mapped[User] = relationship()
    topic: Mapped[Topic] = relationship()


class ExpertStatus(Base):
    """How much an expert can take on and whether they are around right now."""

    __tablename__ = "expert_status"
    __table_args__ = (
        CheckConstraint(one_of("presence", PRESENCES), name="known_presence"),
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    presence: Mapped[str] = mapped_column(String(10), default="available")
    capacity: Mapped[int] = mapped_column(SmallInteger, default=5)
    # IANA zone the working hours are read in.
    timezone: Mapped[str] = mapped_column(String(40), default="Europe/Amsterdam")

    user: Mapped[User] = relationship()


class WorkingHours(Base):
    __tablename__ = "working_hours"
    __table_args__ = (
        CheckConstraint(one_of("weekday", WEEKDAYS), name="known_weekday"),
        CheckConstraint("starts < ends", name="starts_before_ends"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    weekday: Mapped[str] = mapped_column(String(3), primary_key=True)
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)


class Absence(Base):
    __tablename__ = "absences"
    __table_args__ = (CheckConstraint("starts_at < ends_at", name="starts_before_ends"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(40), default="")

    user: Mapped[User] = relationship()


class RoutingPolicy(Base):
    """The promise per topic: how fast to accept, to answer (business hours), when to sound the alarm,
    and who coordinates. The row without topic is the organisation's default."""

    __tablename__ = "routing_policies"
    __table_args__ = (
        CheckConstraint("accept_within_minutes > 0", name="accept_positive"),
        CheckConstraint("answer_within_hours > 0", name="answer_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), unique=True)
    accept_within_minutes: Mapped[int] = mapped_column(Integer, default=60)
    answer_within_hours: Mapped[int] = mapped_column(Integer, default=16)
    escalate_before_minutes: Mapped[int] = mapped_column(Integer, default=120)
    coordinator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    topic: Mapped[Topic | None] = relationship()
    coordinator: Mapped[User | None] = relationship()


class SearchLog(Base):
    """One search by anyone: the raw material of knowledge-gap and deflection analytics."""

    __tablename__ = "search_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    query: Mapped[str] = mapped_column(String(500))
    # 'public' for anonymous callers, else the searcher's role on the page they searched from.
    role: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str | None] = mapped_column(String(10))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    result_count: Mapped[int] = mapped_column(Integer)
    # Whether the best result was confident enough to count as an answer (`knowledge.search.answer_found`);
    # NULL for searches logged before the search could tell.
    answer_found: Mapped[bool | None] = mapped_column(Boolean)
    opened_kind: Mapped[str | None] = mapped_column(String(10))
    opened_id: Mapped[int | None] = mapped_column(Integer)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id"))


class Notification(Base):
    """An e-mail to send: written in the same transaction as the step it reports (an outbox), then
    delivered by a background sender that claims each row, so none is lost and none is sent twice."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_pending", "sent_at", "claimed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    to_email: Mapped[str] = mapped_column(String(254))
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id"))
    # What the message needs besides the question (e.g. the tracking link at intake); emptied once sent.
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))

    question: Mapped[Question | None] = relationship()


class QuestionFacts(Base):
    """One question's figures as its events tell them, kept in step with the events (routing.events) so
    the dashboards aggregate one row per question instead of walking the event table. Derived data:
    `rebuild_question_facts` recomputes it from the events, which stay the truth."""

    __tablename__ = "question_facts"

    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True)
    # Copied from the question, so a page reads one compact table and never the wide question rows.
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    topic_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(24))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_answer_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    routed: Mapped[int] = mapped_column(Integer, default=0)  # `routed` events
    forwarded: Mapped[int] = mapped_column(Integer, default=0)
    escalated: Mapped[int] = mapped_column(Integer, default=0)
    answered_from_kb: Mapped[bool] = mapped_column(Boolean, default=False)
    # The owners in order (JSON list of user ids); NULL when never routed or forwarded.
    route: Mapped[str | None] = mapped_column(Text)
    handoffs: Mapped[int | None] = mapped_column(Integer)  # len(route) - 1


class StepWait(Base):
    """The wait before one process step of a question, since the step before it (derived, see QuestionFacts)."""

    __tablename__ = "step_waits"
    # Each pair's waits in order, with the cohort: count, mean and p90 come from this index alone.
    __table_args__ = (Index("ix_step_waits_pair_seconds", "after", "before", "seconds", "received_at", "topic_id",
                            "channel"),)

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    # The question's cohort (see QuestionFacts), so "where questions wait" needs no join.
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    channel: Mapped[str] = mapped_column(String(10))
    topic_id: Mapped[int | None] = mapped_column(Integer)
    after: Mapped[str] = mapped_column(String(24))
    before: Mapped[str] = mapped_column(String(24))
    seconds: Mapped[int] = mapped_column(Integer)


class Ownership(Base):
    """A stretch of time an open question was someone's (derived, see QuestionFacts): from `since` until
    `until` (NULL: still theirs); what expert load counts."""

    __tablename__ = "ownerships"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MailMessage(Base):
    """One e-mail of a question's thread, in or out. Its Message-ID is unique: a message fetched twice
    (a crash between commit and flag, a mailbox read by two processes) is taken in once."""

    __tablename__ = "mail_messages"
    __table_args__ = (CheckConstraint(one_of("direction", ("in", "out")), name="known_direction"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(3))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    address: Mapped[str] = mapped_column(String(254))  # the customer's address, whichever way it went
    subject: Mapped[str] = mapped_column(String(300), default="")
    text: Mapped[str] = mapped_column(Text, default="")  # what the customer wrote (in), trimmed
    mailbox: Mapped[str | None] = mapped_column(String(80))

    question: Mapped[Question] = relationship()
    attachments: Mapped[list[MailAttachment]] = relationship(back_populates="mail", order_by="MailAttachment.id")


class MailAttachment(Base):
    """A file that came with a customer's mail, kept in the database (staff only). A refused one keeps its
    name, type, size and why, so the expert knows it existed; its content is not kept."""

    __tablename__ = "mail_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    mail_id: Mapped[int] = mapped_column(ForeignKey("mail_messages.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    refused: Mapped[str | None] = mapped_column(String(200))

    mail: Mapped[MailMessage] = relationship(back_populates="attachments")


class MailboxClaim(Base):
    """Which process is reading a mailbox now: a fetch claims its row first, so two processes never read
    the same mailbox at once; a claim older than its expiry (a process that died) may be taken over."""

    __tablename__ = "mailbox_claims"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LearnedWeights(Base):
    """Weights of the expertise signals learned from the organisation's own history (routing.learning),
    with the validation report that says how they did against the simple baselines. Routing uses the
    newest row; without one it uses routing.expertise.DEFAULT_WEIGHTS."""

    __tablename__ = "learned_weights"

    id: Mapped[int] = mapped_column(primary_key=True)
    learned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    questions: Mapped[int] = mapped_column(Integer)  # answered questions replayed to learn them
    weights: Mapped[dict] = mapped_column(JSON)  # signal name → weight
    report: Mapped[dict] = mapped_column(JSON)  # validation MRR of these weights, the defaults and the baselines
