"""The expertise map: who knows what, how sure, and why.

Two kinds of evidence:
- declared: a person's own (or an admin's) statement — a topic and a level 1–3;
- learned: the questions they answered. Each past answer votes for its author with weight
  exp((cos − 1)/τ) · ½^(age/half-life), where cos is the similarity of the new question to the
  question that was answered. That one sum carries content, activity and recency at once: many
  recent answers to similar questions weigh most. The same vote with a wider kernel (BROAD_TAU) counts
  the neighbourhood, not only the closest questions; the learned weights (routing.learning) decide how
  much each says, so how a model spreads its similarities is read from the organisation's own history
  rather than fixed here. Topic overlap adds a smaller decayed count, and
  having answered this same customer before (routing.customers) adds a little more.

Recency is measured on the evidence's own time scale: an answer's age is counted back from the newest
answer in the evidence (not later than now), never from the clock alone, so a history
imported years after it ended still counts — who answered most recently *within it* weighs most —
and nobody silently scores 0 because the clock moved on. When that newest answer lies long before the
question (a history imported once, questions that keep coming), every time scale grows with the gap
(GAP_STRETCH): who answered in the history's last week then says little, who answered much says more.

Measured on Stack Exchange history (docs/research/routing-lab.md): content-only profiles lose to
"most active"; this soft nearest-neighbour vote with a two-week half-life beat every baseline on
the validation period. The scoring below is pure (plain data in, scores and reasons out) so the
product and `bench/eval_routing.py` use the very same function.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.messages import N_, Message
from knowledge.models import Topic
from knowledge.people import active_experts
from routing.errors import RoutingError
from routing.models import AnswerEvidence, DeclaredExpertise, Question

TAU = 0.1  # width of the similarity kernel
# A wider one: how much someone answered in the neighbourhood, not only the closest. With it, the replays of
# bench/replay_routing_api.py (e5) rose on the validation periods: smallest site ratio 0.977 → 1.036.
BROAD_TAU = 0.3
SIMILAR_HALF_LIFE_DAYS = 14.0
TOPIC_HALF_LIFE_DAYS = 14.0
TOPIC_WEIGHT = 0.1
# Chosen on the validation period of bench/eval_routing.py (docs/research/routing-lab.md): 0.05 ·
# log(1 + answers to this asker) lifted validation MRR 0.436 → 0.459; larger weights lost again.
CUSTOMER_WEIGHT = 0.05
# Neighbours asked of the search for the similarity vote. Beyond the nearest few hundred a question adds
# almost nothing (cos 0.3 weighs e^-7), but at a past moment (a preview `at`, a replay) later questions take
# slots and are dropped, so ask for more than seem needed.
SIMILAR_QUESTIONS = 1000
SIMILAR_REASON_COSINE = 0.5  # "similar" in the reasons shown to people
# A declared level is a prior for people without history (new staff, new topics); in log space it
# is worth about as much as 1, 1.7 or 3 recent, closely similar answers.
DECLARED_BONUS = {0: 0.0, 1: 0.3, 2: 0.6, 3: 1.0}
# The named signals a score is made of, in plain words for the admin (routing.learning learns their
# weights). Every one is computed on the evidence's own time scale.
SIGNALS = {
    "similar": N_("answers to similar questions (recent ones weigh more)"),
    "topic_recent": N_("recent answers in the question's topics"),
    "customer": N_("answered this customer before"),
    "declared": N_("declared expertise in the question's topic"),
    "activity": N_("answers in all"),
    "recency": N_("answered recently (relative to the newest answer in the evidence)"),
    "topic_all": N_("answers in the question's topics, however old"),
    "closest": N_("how close the most similar question they answered is"),
    "topic_share": N_("share of their answers that were in the question's topics"),
    "recent_activity": N_("answers in the last 30 days (up to the newest answer in the evidence)"),
    "similar_broad": N_("answers to related questions (recent ones weigh more)"),
}
# The defaults, used until enough history was learned from: the hand-tuned score of
# docs/research/routing-lab.md (similar + 0.1 · topics + 0.05 · customer + declared).
DEFAULT_WEIGHTS = {"similar": 1.0, "topic_recent": TOPIC_WEIGHT, "customer": CUSTOMER_WEIGHT, "declared": 1.0,
                   "activity": 0.0, "recency": 0.0, "topic_all": 0.0, "closest": 0.0, "topic_share": 0.0,
                   "recent_activity": 0.0, "similar_broad": 0.0}
RECENCY_HALF_LIFE_DAYS = 14.0
RECENT_WINDOW_DAYS = 30.0
# Frozen evidence: when the newest answer in the evidence is `gap` days before the question (an imported
# history that ended, questions that keep coming), every time scale above grows by GAP_STRETCH · gap: who
# answered a week or a month before the end matters less when the end is months back. 0 turns it off.
# Chosen on the validation periods of both replays (docs/research/routing-lab.md, session 6).
GAP_STRETCH = 30.0
NO_ANSWERS_YET = Message("no answers or declared expertise for this yet")
# the reasons are Messages (an English str that keeps its msgid), said in the reader's language where shown
LEVEL_NAMES = {1: N_("basic knowledge of %(topic)s"), 2: N_("good knowledge of %(topic)s"),
               3: N_("specialist in %(topic)s")}


class InvalidExpertise(RoutingError):
    pass


def declare_expertise(session: Session, user_id: int, topic_id: int, level: int) -> DeclaredExpertise:
    if level not in (1, 2, 3):
        raise InvalidExpertise(N_("A level is 1 (basic), 2 (good) or 3 (specialist)."))
    row = session.get(DeclaredExpertise, (user_id, topic_id)) or DeclaredExpertise(user_id=user_id,
                                                                                    topic_id=topic_id)
    row.level = level
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class PastAnswer:
    """One answer someone gave earlier, seen from the new question."""

    user_id: int
    answered_at: datetime
    similarity: float  # cosine of the new question and the question this answered
    topics: frozenset[str] = frozenset()
    same_customer: bool = False  # the question it answered came from the customer asking now


@dataclass
class Expertise:
    user_id: int
    score: float = 0.0
    similar_vote: float = 0.0
    topic_vote: float = 0.0
    declared_level: int = 0
    declared_topic: str | None = None
    answers: int = 0
    latest_answer: datetime | None = None
    similar_answers: int = 0
    latest_similar: datetime | None = None
    topic_answers: int = 0
    customer_answers: int = 0
    latest_customer: datetime | None = None
    reasons: list[str] = field(default_factory=list)
    all_topic_answers: float = 0.0  # shared topics over every answer, undecayed
    best_similarity: float = 0.0
    broad_vote: float = 0.0  # the similarity vote with the wider kernel (BROAD_TAU)
    recent_answers: int = 0  # within RECENT_WINDOW_DAYS of the newest answer in the evidence
    signals: dict[str, float] = field(default_factory=dict)

    @property
    def has_evidence(self) -> bool:
        return self.answers > 0 or self.declared_level > 0


def _decay(now: datetime, then: datetime, half_life_days: float) -> float:
    age_days = max((now - then).total_seconds() / 86400.0, 0.0)
    return 0.5 ** (age_days / half_life_days)


def expertise_scores(now: datetime, past: Iterable[PastAnswer], *, question_topics: frozenset[str] = frozenset(),
                     declared: dict[int, tuple[int, str]] | None = None,
                     candidates: Iterable[int] | None = None,
                     weights: dict[str, float] | None = None) -> dict[int, Expertise]:
    """Score every candidate for a new question.

    `past` holds the answers given before `now`, each with its similarity to the new question;
    `declared` maps user → (level, topic name) for the question's topic. People in `candidates`
    without any evidence still appear, with score 0. The score is Σ weight · signal over the named
    signals of SIGNALS; `weights` are the ones learned from the organisation's history
    (routing.learning), DEFAULT_WEIGHTS without them.
    """
    table: dict[int, Expertise] = {}

    def entry(user_id: int) -> Expertise:
        if user_id not in table:
            table[user_id] = Expertise(user_id=user_id)
        return table[user_id]

    for user_id in candidates or ():
        entry(user_id)
    # evidence from the future never counts (replays, clock skew)
    past = [answer for answer in past if answer.answered_at <= now]
    newest = max((answer.answered_at for answer in past), default=now)
    stretch = GAP_STRETCH * max((now - newest).total_seconds() / 86400.0, 0.0)
    similar_half, topic_half = SIMILAR_HALF_LIFE_DAYS + stretch, TOPIC_HALF_LIFE_DAYS + stretch
    window = (RECENT_WINDOW_DAYS + stretch) * 86400.0
    for answer in past:
        e = entry(answer.user_id)
        e.answers += 1
        e.latest_answer = max(filter(None, (e.latest_answer, answer.answered_at)))
        fading = _decay(newest, answer.answered_at, similar_half)
        e.similar_vote += math.exp((answer.similarity - 1.0) / TAU) * fading
        e.broad_vote += math.exp((answer.similarity - 1.0) / BROAD_TAU) * fading
        if answer.similarity >= SIMILAR_REASON_COSINE:
            e.similar_answers += 1
            e.latest_similar = max(filter(None, (e.latest_similar, answer.answered_at)))
        e.best_similarity = max(e.best_similarity, answer.similarity)
        if (newest - answer.answered_at).total_seconds() <= window:
            e.recent_answers += 1
        shared = len(question_topics & answer.topics)
        e.all_topic_answers += shared
        if shared:
            e.topic_answers += 1
            e.topic_vote += shared * _decay(newest, answer.answered_at, topic_half)
        if answer.same_customer:
            e.customer_answers += 1
            e.latest_customer = max(filter(None, (e.latest_customer, answer.answered_at)))
    for user_id, (level, topic_name) in (declared or {}).items():
        e = entry(user_id)
        e.declared_level, e.declared_topic = level, topic_name
    for e in table.values():
        e.signals = signal_values(e, newest, RECENCY_HALF_LIFE_DAYS + stretch)
        e.score = sum(w * e.signals[name] for name, w in (weights or DEFAULT_WEIGHTS).items() if name in e.signals)
        e.reasons = expertise_reasons(e, now)
    return table


def signal_values(e: Expertise, newest: datetime, recency_half_life: float = RECENCY_HALF_LIFE_DAYS) -> dict[str, float]:
    """The named signals (SIGNALS) of one person, each on a log or 0–1 scale."""
    return {
        "similar": math.log1p(e.similar_vote),
        "topic_recent": math.log1p(e.topic_vote),
        "customer": math.log1p(e.customer_answers),
        "declared": DECLARED_BONUS.get(e.declared_level, 0.0),
        "activity": math.log1p(e.answers),
        "recency": _decay(newest, e.latest_answer, recency_half_life) if e.latest_answer else 0.0,
        "topic_all": math.log1p(e.all_topic_answers),
        "closest": max(e.best_similarity, 0.0) if e.answers else 0.0,
        "topic_share": e.topic_answers / e.answers if e.answers else 0.0,
        "recent_activity": math.log1p(e.recent_answers),
        "similar_broad": math.log1p(e.broad_vote),
    }


def expertise_reasons(e: Expertise, now: datetime) -> list[Message]:
    """The evidence in words a colleague understands."""
    reasons = []
    if e.declared_level:
        reasons.append(Message(LEVEL_NAMES[e.declared_level], topic=e.declared_topic))
    if e.similar_answers:
        said = (N_("answered %(count)s similar questions, latest %(ago)s") if e.similar_answers != 1 else
                N_("answered %(count)s similar question, latest %(ago)s"))
        reasons.append(Message(said, count=e.similar_answers, ago=_ago(now, e.latest_similar)))
    if e.customer_answers == 1:
        reasons.append(Message("answered this customer before, %(ago)s", ago=_ago(now, e.latest_customer)))
    elif e.customer_answers:
        reasons.append(Message("answered this customer %(count)s times, latest %(ago)s", count=e.customer_answers,
                               ago=_ago(now, e.latest_customer)))
    if e.answers:
        reasons.append(Message(N_("%(count)s answers in all, latest %(ago)s") if e.answers != 1 else
                               N_("%(count)s answer in all, latest %(ago)s"), count=e.answers,
                               ago=_ago(now, e.latest_answer)))
    if e.topic_answers:
        reasons.append(Message(N_("%(count)s answers in this topic") if e.topic_answers != 1 else
                               N_("%(count)s answer in this topic"), count=e.topic_answers))
    if not reasons:
        reasons.append(NO_ANSWERS_YET)
    return reasons


def _ago(now: datetime, then: datetime | None) -> Message:
    if then is None:
        return Message("never")
    days = int((now - then).total_seconds() // 86400)
    return Message("today") if days <= 0 else Message("yesterday") if days == 1 else \
        Message("%(days)s days ago", days=days)


def forget_expertise(session: Session, user_id: int, topic_id: int) -> None:
    row = session.get(DeclaredExpertise, (user_id, topic_id))
    if row is not None:
        session.delete(row)
        session.flush()


@dataclass(frozen=True)
class ExpertProfile:
    """One line of the expertise map as admins see it."""

    user_id: int
    name: str
    declared: list[tuple[str, int]]  # (topic path, level)
    learned: list[tuple[str, int]]  # (topic path, answers in the LEARNED_WINDOW_DAYS up to the newest), most first


LEARNED_WINDOW_DAYS = 90


def expertise_map(session: Session, now: datetime) -> list[ExpertProfile]:
    experts = active_experts(session)
    declared: dict[int, list[tuple[str, int]]] = {}
    for row in session.scalars(select(DeclaredExpertise)):
        declared.setdefault(row.user_id, []).append((row.topic.path, row.level))
    learned: dict[int, list[tuple[str, int]]] = {}
    # The window ends at the newest answer, not at the clock: an imported history shows what it taught.
    newest = min(filter(None, (session.scalar(select(func.max(Question.answered_at))), now)))
    since = newest - timedelta(days=LEARNED_WINDOW_DAYS)
    own = (select(Question.answered_by_id.label("user_id"), Question.topic_id.label("topic_id"))
           .where(Question.answered_at >= since, Question.topic_id.is_not(None)))
    more = (select(AnswerEvidence.user_id, Question.topic_id)
            .join(Question, Question.id == AnswerEvidence.question_id)
            .where(AnswerEvidence.answered_at >= since, Question.topic_id.is_not(None)))
    answers = own.union_all(more).subquery()
    rows = session.execute(
        select(answers.c.user_id, Topic, func.count())
        .join(Topic, answers.c.topic_id == Topic.id)
        .group_by(answers.c.user_id, Topic.id).order_by(func.count().desc(), Topic.name)).all()
    for user_id, topic, count in rows:
        learned.setdefault(user_id, []).append((topic.path, count))
    return [ExpertProfile(user_id=u.id, name=u.name, declared=sorted(declared.get(u.id, [])),
                          learned=learned.get(u.id, [])) for u in experts]
