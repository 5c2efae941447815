"""Routing's ranking on its own: `rank_experts` with a plain SQLAlchemy session and a fixed clock, no Flask.

The HTTP scenarios in test_routing.py prove the same rules through the app; these prove them where
they live (routing/), so a change to the ranking shows here first, in its own words.
"""
from __future__ import annotations

from datetime import timedelta

import flask

from routing.availability import add_absence
from routing.routing import rank_experts
from tests.domain_fixtures import no_flask_app, plain_session  # noqa: F401  (fixtures)
from tests.factories import T0, make_expert, make_question, make_topic

NOW = T0  # a Monday, 10:00 in Amsterdam: office hours
DUE = NOW + timedelta(days=2)


class SimilarQuestions:
    """A stand-in for the search service: says how much earlier questions read like the new one."""

    def __init__(self, similarity: dict[int, float]):
        self.similarity = similarity

    def similar_documents(self, text: str, *, kinds: tuple[str, ...], k: int):
        return [("question", question_id, score) for question_id, score in self.similarity.items()]

    def search(self, text: str, **_):
        return []  # no keyword hits: only the similarities above speak


def _rank(session, topic=None, *, search=None, text="My green bin was not emptied.", **kwargs):
    return rank_experts(session, NOW, search, text, topic, due_at=DUE, **kwargs)


def _by_name(ranked):
    return {c.name: c for c in ranked}


def test_declared_expertise_beats_none_and_the_reason_says_so(plain_session):
    waste = make_topic(plain_session, "waste", "Waste")
    make_expert(plain_session, "Anna Afval", knows={"waste": 2})
    make_expert(plain_session, "Bob Bouw")

    ranked = _rank(plain_session, waste)

    assert [c.name for c in ranked] == ["Anna Afval", "Bob Bouw"]
    anna, bob = ranked
    assert anna.available and bob.available
    assert anna.score > 0 and bob.score == 0
    assert anna.reasons[0] == "good knowledge of Waste"
    assert bob.reasons[0] == "no answers or declared expertise for this yet"
    assert not flask.has_app_context()


def test_expertise_declared_for_a_parent_topic_counts_for_its_sub_topic(plain_session):
    waste = make_topic(plain_session, "waste", "Waste")
    bins = make_topic(plain_session, "bins", "Bins", parent=waste)
    make_expert(plain_session, "Bob Bouw")
    make_expert(plain_session, "Anna Afval", knows={"waste": 3})

    ranked = _rank(plain_session, bins)

    assert ranked[0].name == "Anna Afval"
    assert ranked[0].reasons[0] == "specialist in Waste"


def test_an_absent_expert_is_ranked_below_a_present_one_and_not_given_work(plain_session):
    waste = make_topic(plain_session, "waste", "Waste")
    anna = make_expert(plain_session, "Anna Afval", knows={"waste": 3})
    make_expert(plain_session, "Bob Bouw", knows={"waste": 1})
    add_absence(plain_session, anna.id, starts_at=NOW - timedelta(hours=2), ends_at=NOW + timedelta(days=3))
    plain_session.commit()

    ranked = _rank(plain_session, waste)

    assert [c.name for c in ranked] == ["Bob Bouw", "Anna Afval"]
    absent = ranked[1]
    assert not absent.available
    assert absent.score == 0 and absent.expertise > ranked[0].expertise  # knows more, but is not here
    assert "absent today" in absent.reasons


def test_a_full_expert_is_ranked_below_one_with_room(plain_session):
    waste = make_topic(plain_session, "waste", "Waste")
    anna = make_expert(plain_session, "Anna Afval", knows={"waste": 2}, capacity=1)
    make_expert(plain_session, "Bob Bouw", knows={"waste": 2}, capacity=5)
    make_question(plain_session, "Where do old batteries go?", owner=anna, topic="waste", now=NOW - timedelta(hours=1))

    ranked = _rank(plain_session, waste)

    assert [c.name for c in ranked] == ["Bob Bouw", "Anna Afval"]
    full = ranked[1]
    assert not full.available and full.score == 0
    assert "1 of 1 open" in full.reasons
    assert "0 of 5 open" in ranked[0].reasons


def test_open_work_lowers_the_score_of_an_expert_who_still_has_room(plain_session):
    waste = make_topic(plain_session, "waste", "Waste")
    anna = make_expert(plain_session, "Anna Afval", knows={"waste": 2}, capacity=2)
    make_expert(plain_session, "Bob Bouw", knows={"waste": 2}, capacity=2)
    make_question(plain_session, "Where do old batteries go?", owner=anna, topic="waste", now=NOW - timedelta(hours=1))

    ranked = _by_name(_rank(plain_session, waste))

    assert ranked["Anna Afval"].available
    assert ranked["Anna Afval"].expertise == ranked["Bob Bouw"].expertise
    assert ranked["Anna Afval"].score < ranked["Bob Bouw"].score


def test_answered_questions_are_learned_evidence_and_those_in_the_topic_count_most(plain_session):
    permits = make_topic(plain_session, "permits", "Permits")
    make_topic(plain_session, "waste", "Waste")
    petra = make_expert(plain_session, "Petra Parkeer")
    bob = make_expert(plain_session, "Bob Bouw")
    make_expert(plain_session, "Nina Nieuw")
    make_question(plain_session, "How long is a resident's permit valid?", owner=petra, topic="permits",
                  answer="Five years.", now=NOW - timedelta(days=3))
    make_question(plain_session, "When is the bulky waste picked up?", owner=bob, topic="waste",
                  answer="On Thursdays.", now=NOW - timedelta(days=3))

    ranked = _rank(plain_session, permits, text="Can I get a permit for my van?")

    assert [c.name for c in ranked] == ["Petra Parkeer", "Bob Bouw", "Nina Nieuw"]
    petra_, bob_, nina = ranked
    assert petra_.expertise > bob_.expertise > nina.expertise == 0
    assert petra_.reasons[:2] == ("1 answer in all, latest 3 days ago", "1 answer in this topic")
    assert bob_.reasons[0] == "1 answer in all, latest 3 days ago"
    assert "1 answer in this topic" not in bob_.reasons


def test_a_similar_earlier_answer_weighs_more_than_a_dissimilar_one(plain_session):
    make_topic(plain_session, "waste", "Waste")
    anna = make_expert(plain_session, "Anna Afval")
    bob = make_expert(plain_session, "Bob Bouw")
    near, _ = make_question(plain_session, "My grey bin was not emptied.", owner=anna, answer="We come tomorrow.",
                            now=NOW - timedelta(days=1))
    far, _ = make_question(plain_session, "Can I rent the town hall?", owner=bob, answer="Yes, book it online.",
                           now=NOW - timedelta(days=1))

    ranked = _rank(plain_session, search=SimilarQuestions({near.id: 0.95, far.id: 0.1}))

    assert [c.name for c in ranked] == ["Anna Afval", "Bob Bouw"]
    assert ranked[0].score > ranked[1].score > 0
    assert ranked[0].reasons[0] == "answered 1 similar question, latest yesterday"
    assert not any("similar" in reason for reason in ranked[1].reasons)


def test_inactive_and_excluded_experts_are_not_ranked(plain_session):
    waste = make_topic(plain_session, "waste", "Waste")
    gone = make_expert(plain_session, "Gerrit Gone", knows={"waste": 3})
    gone.active = False
    plain_session.commit()
    forwarding = make_expert(plain_session, "Fenna Forward", knows={"waste": 3})
    make_expert(plain_session, "Bob Bouw")

    ranked = _rank(plain_session, waste, exclude=frozenset({forwarding.id}))

    assert [c.name for c in ranked] == ["Bob Bouw"]


def test_nobody_to_rank_is_an_empty_list(plain_session):
    assert _rank(plain_session) == []
