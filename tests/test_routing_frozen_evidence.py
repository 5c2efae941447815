"""Frozen evidence (#13): an imported history ends and questions keep coming.

When the newest answer in the evidence lies long before the question, who answered in the last week of the
history says little; who answered much, over a longer time, says more. The time scales of the decays grow
with that gap (routing.expertise.GAP_STRETCH); with evidence up to the question nothing changes.
"""
from datetime import datetime, timedelta, timezone

from routing import expertise
from routing.expertise import DEFAULT_WEIGHTS, PastAnswer, expertise_scores

END = datetime(2020, 6, 30, 12, 0, tzinfo=timezone.utc)  # the newest answer in the imported history


def _history() -> list[PastAnswer]:
    # person 1 answered 20 similar questions, the last 60 days before the end; person 2 two, in the last days
    veteran = [PastAnswer(user_id=1, answered_at=END - timedelta(days=60 + 3 * n), similarity=0.9)
               for n in range(20)]
    newcomer = [PastAnswer(user_id=2, answered_at=END - timedelta(days=n), similarity=0.9) for n in range(2)]
    return veteran + newcomer


def _order(now: datetime) -> list[int]:
    table = expertise_scores(now, _history(), candidates=[1, 2], weights=DEFAULT_WEIGHTS)
    return sorted(table, key=lambda u: -table[u].score)


def test_right_after_the_history_the_one_who_answered_last_comes_first():
    assert _order(END + timedelta(hours=1)) == [2, 1]


def test_months_after_the_history_ended_the_one_who_answered_much_comes_first():
    assert expertise.GAP_STRETCH > 0
    assert _order(END + timedelta(days=180)) == [1, 2]


def test_the_gap_flattens_recency_but_keeps_its_order():
    fresh = expertise_scores(END, _history(), candidates=[1, 2])
    later = expertise_scores(END + timedelta(days=180), _history(), candidates=[1, 2])
    assert later[1].signals["recency"] > fresh[1].signals["recency"]  # 60 days before a far end: still fairly recent
    assert later[2].signals["recency"] >= later[1].signals["recency"]
    assert later[1].signals["recent_activity"] > fresh[1].signals["recent_activity"]
    # nothing else moves: the same answers, the same counts
    assert later[1].signals["activity"] == fresh[1].signals["activity"]
