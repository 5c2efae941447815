"""Starting with the expertise hidden in an organisation's history: import answered questions.

JSON Lines, one past question per line (README, "Importing an organisation"):
  {"question_id", "created", "title", "text", "tags": [...],
   "asker": "customer-42" | {"name", "email", "phone"},
   "answers": [{"user_id" | "email", "name", "created", "accepted", "text"}]}
Each becomes a closed question answered by the accepted answer's author (else the earliest answer's),
with its events at their historical times; every other answer is kept as evidence too
(`AnswerEvidence`), so each answerer counts. Every tag becomes a topic of the question: through the
mapping (tag → existing topic slug) when one is given, else a topic under "Imported", created when new.
The asker becomes the question's customer (recognised again by e-mail or phone, or by a key made from
their id), so "answered this customer before" counts; no mail goes to them.
People are found by e-mail (as `import-experts` loaded them) or created as experts when first seen;
created people cannot sign in until an admin gives them a password.
"""
from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert
from sqlalchemy.orm import Session

from knowledge.articles import create_topic
from knowledge.catalogue import topic_with_slug
from knowledge.importing import import_json_lines
from knowledge.models import Topic, User
from knowledge.people import create_user, find_user_by_email, normalise_email
from routing.customers import email_key, phone_key
from routing.errors import InvalidQuestion, RoutingError
from routing.models import AnswerEvidence, question_topics
from routing.questions import NewQuestion, accept_question, answer_question, assign_to_expert, close_question
from routing.questions import take_in_question

IMPORTED_ROOT = "imported"
OLD_HISTORY_DAYS = 365  # newer than this, nobody needs to be told
FIRST_LINES = 5  # line numbers shown per reason for skipping


class InvalidTopicMapping(RoutingError):
    pass


@dataclass
class HistoryReport:
    imported: int = 0
    answers: int = 0  # pieces of evidence: every answer of every imported question
    people_created: int = 0
    topics_created: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    newest_answer: datetime | None = None
    oldest_answer: datetime | None = None
    warnings: list[str] = field(default_factory=list)

    def skipped_by_reason(self) -> list[tuple[str, int, list[int]]]:
        """(reason, how many lines, the first few line numbers), most frequent first."""
        counts = Counter(message for _, message in self.errors)
        return [(reason, count, [n for n, m in self.errors if m == reason][:FIRST_LINES])
                for reason, count in counts.most_common()]


@dataclass
class _Tally:
    answers: int = 0
    people: int = 0
    topics: int = 0
    times: list[datetime] = field(default_factory=list)


def read_topic_mapping(session: Session, lines: Iterable[str]) -> dict[str, str | None]:
    """A CSV `tag,topic`: the tag's questions go to that existing topic's slug (empty: the tag is ignored).
    Every bad line is reported at once, so nothing is imported with half a mapping."""
    mapping, problems = {}, []
    rows = csv.reader(lines)
    for number, row in enumerate(rows, start=1):
        if not row or (number == 1 and [c.strip().lower() for c in row[:2]] == ["tag", "topic"]):
            continue
        if len(row) != 2 or not row[0].strip():
            problems.append(f"line {number}: expected two columns, tag,topic")
            continue
        tag, slug = row[0].strip().lower(), row[1].strip()
        if slug and topic_with_slug(session, slug) is None:
            problems.append(f"line {number}: there is no topic {slug!r}")
            continue
        mapping[tag] = slug or None
    if problems:
        raise InvalidTopicMapping("The topic mapping was not used: " + "; ".join(problems))
    return mapping


def import_history(session: Session, lines: Iterable[str], *, now: datetime | None = None,
                   topic_mapping: dict[str, str | None] | None = None,
                   progress: Callable[[int], None] | None = None) -> HistoryReport:
    tally = _Tally()
    report = import_json_lines(
        session, lines, lambda record: _import_one(session, _checked(record), topic_mapping or {}, tally),
        refused=(InvalidQuestion,), progress=progress, commit_every=200)
    result = HistoryReport(imported=report.imported, answers=tally.answers, people_created=tally.people,
                           topics_created=tally.topics, errors=report.errors,
                           newest_answer=max(tally.times, default=None), oldest_answer=min(tally.times, default=None))
    if now is not None and result.newest_answer is not None and \
            now - result.newest_answer > timedelta(days=OLD_HISTORY_DAYS):
        result.warnings.append(
            f"The newest answer is from {result.newest_answer:%Y-%m-%d}, "
            f"{(now - result.newest_answer).days} days ago: routing measures recency back from the newest "
            f"evidence, so this history counts, but it may no longer say who knows what today.")
    return result


def _checked(record: dict) -> dict:
    for key in ("title", "created"):
        if not isinstance(record.get(key), str) or not record[key].strip():
            raise ValueError(f'"{key}" must be a non-empty string')
    answers = record.get("answers")
    if not isinstance(answers, list) or not answers:
        raise ValueError('"answers" must be a non-empty list')
    for answer in answers:
        if (not isinstance(answer, dict) or (answer.get("user_id") in (None, "") and not answer.get("email"))
                or not isinstance(answer.get("text"), str) or not isinstance(answer.get("created"), str)):
            raise ValueError('each answer needs "user_id" (or "email"), "created" and "text"')
    tags = record.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ValueError('"tags" must be a list of strings')
    asker = record.get("asker")
    if asker is not None and not isinstance(asker, (str, int, dict)):
        raise ValueError('"asker" must be an id or {"name", "email", "phone"}')
    return record


def _when(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not an ISO date and time: {value!r}") from None
    return moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _import_one(session: Session, record: dict, mapping: dict[str, str | None], total: _Tally) -> None:
    tally = _Tally()  # added to the total only when the whole line is in: a refused line counts nothing
    answers = sorted(record["answers"], key=lambda a: _when(a["created"]))
    chosen = next((a for a in answers if a.get("accepted")), answers[0])
    asked = _when(record["created"])
    people = [_person(session, asked, answer, tally) for answer in answers]
    expert = people[answers.index(chosen)]
    answered = max(_when(chosen["created"]), asked)
    text = record["title"].strip() + ("\n\n" + record["text"].strip() if record.get("text") else "")
    topics = _topics(session, record.get("tags", []), mapping, tally)
    question, _token = take_in_question(session, asked, NewQuestion(
        text=text, channel="api", topic_slug=topics[0].slug if topics else None))
    assign_to_expert(session, asked, question, expert.id, due_at=max(answered, asked), actor_id=None,
                     reason=f"imported history (question {record.get('question_id', '?')})")
    accept_question(session, asked, question, expert_id=expert.id)
    answer_question(session, answered, question, expert_id=expert.id, body=chosen["text"])
    close_question(session, answered, question, actor_id=None)
    if len(topics) > 1:
        session.execute(insert(question_topics), [{"question_id": question.id, "topic_id": t.id} for t in topics[1:]])
    seen = {expert.id}
    for answer, person in zip(answers, people):
        if person.id in seen:
            continue  # one piece of evidence per person and question: their first answer
        seen.add(person.id)
        session.add(AnswerEvidence(question_id=question.id, user_id=person.id,
                                   answered_at=max(_when(answer["created"]), asked),
                                   accepted=bool(answer.get("accepted"))))
    _set_asker(question, record.get("asker"))  # after the answer: historical customers get no mail
    session.flush()
    total.answers += len(seen)
    total.people += tally.people
    total.topics += tally.topics
    total.times.extend(max(_when(a["created"]), asked) for a in answers)


def _set_asker(question, asker) -> None:
    if asker in (None, ""):
        return
    if isinstance(asker, dict):
        question.customer_name = str(asker.get("name") or "")[:120] or None
        question.customer_email = email_key(asker.get("email")) if asker.get("email") else None
        question.customer_phone = str(asker.get("phone"))[:40] if asker.get("phone") else None
        question.customer_phone_key = phone_key(question.customer_phone)
        return
    question.customer_name = f"Customer {asker}"[:120]
    question.customer_email = f"asker-{_slug(str(asker))}@imported.invalid"


def _person(session: Session, now: datetime, answer: dict, tally: _Tally) -> User:
    external = str(answer.get("email") or answer["user_id"])
    email = normalise_email(external) if "@" in external else f"history-{_slug(external)}@imported.invalid"
    user = find_user_by_email(session, email)
    if user is not None:
        return user
    tally.people += 1
    name = str(answer.get("name") or f"Imported expert {external}")[:120]
    return create_user(session, now, email=email, name=name, roles=("expert",))


def _topics(session: Session, tags: list[str], mapping: dict[str, str | None], tally: _Tally) -> list[Topic]:
    found: list[Topic] = []
    for tag in tags:
        key = tag.strip().lower()
        if not key:
            continue
        if key in mapping:
            topic = topic_with_slug(session, mapping[key]) if mapping[key] else None
        else:
            topic = topic_with_slug(session, _slug(tag))
            if topic is None:
                root = topic_with_slug(session, IMPORTED_ROOT) or create_topic(
                    session, slug=IMPORTED_ROOT, name="Imported")
                topic = create_topic(session, slug=_slug(tag), name=tag.strip()[:120], parent=root)
                tally.topics += 1
        if topic is not None and topic not in found:
            found.append(topic)
    return found


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "x"
