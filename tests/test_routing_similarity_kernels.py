"""Two similarity kernels (#13): the close questions someone answered, and the neighbourhood.

Which of the two predicts who answers is the organisation's own: the learned weights (routing.learning)
decide, from its history, how much each says.
"""
from datetime import datetime, timedelta, timezone

import numpy as np

from routing import learning
from routing.expertise import PastAnswer, expertise_scores

START = datetime(2020, 1, 6, 9, 0, tzinfo=timezone.utc)


def _case(n: int, rng) -> learning.Case:
    """Person 1 answered one very close question, person 2 many related ones, person 3 very many unrelated
    ones; person 2 answers. Only the wide kernel ranks person 2 first."""
    at = START + timedelta(days=n)
    past = [PastAnswer(user_id=1, answered_at=at - timedelta(days=2), similarity=0.95)]
    past += [PastAnswer(user_id=2, answered_at=at - timedelta(days=3 + k), similarity=float(rng.uniform(0.5, 0.6)))
             for k in range(int(rng.integers(6, 10)))]
    past += [PastAnswer(user_id=3, answered_at=at - timedelta(days=1 + k % 5), similarity=0.0) for k in range(20)]
    table = expertise_scores(at, past, candidates=[1, 2, 3])
    narrow, wide = ({u: table[u].signals[name] for u in table} for name in ("similar", "similar_broad"))
    assert max(narrow, key=narrow.get) == 1 and max(wide, key=wide.get) == 2
    return learning.case_from_scores(at, table, [1, 2, 3], {2})


def test_when_the_neighbourhood_predicts_who_answers_the_learned_weights_follow_it():
    rng = np.random.default_rng(3)
    weights, report = learning.learn_from_cases([_case(n, rng) for n in range(60)])
    assert weights["similar_broad"] > weights["similar"]
    mrr = report["validation"]["MRR"]
    assert mrr["learned"] == 1.0 > mrr["defaults"]  # the defaults (the close kernel) put person 1 first
