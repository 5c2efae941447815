"""Tables of the knowledge floor: people, topics, articles and their revisions.

People live here, on the lowest floor, because both floors point at them: articles have authors
and owners, questions have owners and experts. Signing in (passwords, sessions, API tokens) is the
web layer's business; this module only stores the record.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from knowledge.base import Base, UTCDateTime

ROLES = ("agent", "expert", "editor", "admin")
ARTICLE_STATUSES = ("draft", "in_review", "published", "archived")
AUDIENCES = ("public", "internal")
LANGUAGES = ("en", "nl")
# A revision is "applied" (its text became the article's), "pending" (proposed, e.g. by a merge, waiting for an
# editor: the article's text and audience are untouched until then), "accepted" (a pending one an editor published)
# or "rejected" (a pending one an editor turned down).
REVISION_STATES = ("applied", "pending", "accepted", "rejected")


def one_of(column: str, values: tuple[str, ...]) -> str:
    """The CHECK clause that keeps a column to its known values (both floors' models use it)."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # None for people known only from imported history: they cannot sign in until given one.
    password_hash: Mapped[str | None] = mapped_column(String(256))
    # SHA-256 of the personal API token; the token itself is shown once and never stored.
    api_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    locale: Mapped[str] = mapped_column(String(5), default="en")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r.role for r in self.role_rows)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    # The session protocol the web layer's sign-in expects (Flask-Login's), without importing it.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    def get_id(self) -> str:
        return str(self.id)

    def __repr__(self) -> str:
        return f"<User {self.email} {sorted(self.roles)}>"


class UserRole(Base):
    __tablename__ = "user_roles"
    __table_args__ = (CheckConstraint(one_of("role", ROLES), name="known_role"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class Topic(Base):
    """A node of the small topic tree (e.g. Taxes › Property tax)."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id"))
    # Articles in this topic get review_by = publish date + this many days.
    review_days: Mapped[int] = mapped_column(Integer, default=180)

    parent: Mapped[Topic | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Topic]] = relationship(back_populates="parent", order_by="Topic.name")

    @property
    def path(self) -> str:
        """Human-readable position in the tree: 'Taxes › Property tax'."""
        return f"{self.parent.path} › {self.name}" if self.parent else self.name

    def __repr__(self) -> str:
        return f"<Topic {self.slug}>"


article_topics = Table(
    "article_topics",
    Base.metadata,
    Column("article_id", ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
)


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (
        CheckConstraint(one_of("status", ARTICLE_STATUSES), name="known_status"),
        CheckConstraint(one_of("audience", AUDIENCES), name="known_audience"),
        CheckConstraint(one_of("language", LANGUAGES), name="known_language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # Rendered and sanitised once on save (knowledge.markdown), so no page renders Markdown itself.
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    audience: Mapped[str] = mapped_column(String(10), default="public")
    language: Mapped[str] = mapped_column(String(2), default="en")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_by: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when readers keep saying it did not help, or by an editor; cleared by a new review.
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    flag_reason: Mapped[str | None] = mapped_column(String(300))
    # An editor's comment when sending a draft back to its writer.
    review_comment: Mapped[str | None] = mapped_column(Text)
    # What a captured draft may still hold of a customer (names, addresses, phone numbers, BSN…), one finding a
    # line; it cannot be published until an editor has cleared every line (routing.editorial.clear_flag).
    privacy_flags: Mapped[str | None] = mapped_column(Text)
    # Bumped on every save; two editors saving the same version at once cannot both win.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The article's key in the system it was imported from: re-importing that export updates this
    # article instead of adding a copy (knowledge.importing). None for articles written here.
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)

    topics: Mapped[list[Topic]] = relationship(secondary=article_topics, lazy="selectin", order_by=Topic.name)
    owner: Mapped[User | None] = relationship()
    revisions: Mapped[list[ArticleRevision]] = relationship(
        back_populates="article", order_by="ArticleRevision.number", cascade="all, delete-orphan",
        foreign_keys="ArticleRevision.article_id",
    )

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Article {self.id} {self.title!r} {self.status}>"


class ArticleRevision(Base):
    """Every save of an article, kept for history, diff and restore; never changed afterwards."""

    __tablename__ = "article_revisions"
    __table_args__ = (UniqueConstraint("article_id", "number", name="uq_article_revisions_number"),
                      CheckConstraint(one_of("state", REVISION_STATES), name="known_state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(String(300), default="")
    state: Mapped[str] = mapped_column(String(10), default="applied", server_default="applied")
    # The draft whose text a merge proposed here; it comes back as a draft when the proposal is rejected.
    merged_from_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))

    article: Mapped[Article] = relationship(back_populates="revisions", foreign_keys=[article_id])
    author: Mapped[User | None] = relationship()



class IndexChange(Base):
    """The change log search replicas follow (see knowledge.search.changes): one row per changed document."""

    __tablename__ = "index_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doc_key: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class DocumentVector(Base):
    """A document's embedding under one model; the in-memory matrices are loaded from these."""

    __tablename__ = "document_vectors"

    doc_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    model: Mapped[str] = mapped_column(String(60), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(32))
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class ArticleFeedback(Base):
    """One "was this helpful?" answer from a reader of a published article."""

    __tablename__ = "article_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    helpful: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(String(1000), default="")
    # When an editor dealt with a reader's "no" (reviewed or republished the article): off "Flagged by readers".
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
