"""Weights learned from the organisation's own history (#13).

`learn_weights` replays the answered questions in time order, as bench/eval_routing.py does: for each
question only the answers given before it count, and the candidates are everyone who had answered
something by then. Each candidate gets the named signals of routing.expertise.SIGNALS; a conditional
logit (softmax over the candidates of one question, the answerers as the right ones) learns one weight
per signal, later questions weighing more (the organisation drifts). It is linear on named signals, so the admin can read it; it is pulled towards the defaults
(L2 towards DEFAULT_WEIGHTS), so a small history moves them little.

Fitted on the earlier FIT_SHARE of the questions, validated on the later rest: the report holds the MRR
of the learned weights, of the defaults and of the simple baselines (most active, topic overlap) there.
Below MIN_QUESTIONS replayable questions nothing is stored: routing keeps DEFAULT_WEIGHTS and says so.
"""
from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.search import SearchService
from routing.expertise import DEFAULT_WEIGHTS, SIGNALS, SIMILAR_QUESTIONS, PastAnswer, expertise_scores
from routing.models import AnswerEvidence, LearnedWeights, Question
from routing.topics import question_topic_slugs

NAMES = tuple(SIGNALS)
MIN_QUESTIONS = 40  # replayable questions (an answerer who had answered before): fewer, and the defaults stay
FIT_SHARE = 0.7  # earlier share fitted on; the later rest validates
L2 = 0.005  # pull towards the defaults (raw units, per question); chosen on the validation periods of bench/eval_routing.py
STEPS = 400
CASE_HALF_LIFE = 0.5  # share of the history back at which a question weighs half
# Every signal is "more of this evidence", so a weight is never negative: a signal counts for a person or not
# at all, never against them (the admin can read it so; a person with evidence never scores below one without).
# Chosen on the validation periods of bench/eval_routing.py (bench/routing_signals_lab.py).
NONNEGATIVE = True
# Signals the baselines rank by: the two simple rules routing must beat.
BASELINES = {"most_active": "activity", "topic_overlap": "topic_all"}


@dataclass(frozen=True)
class Case:
    """One replayed question: the candidates' signals (rows in NAMES order) and who answered it."""

    at: datetime
    signals: np.ndarray  # candidates × len(NAMES)
    relevant: np.ndarray  # bool per candidate


def case_from_scores(at: datetime, table: dict, candidates: Sequence[int], answerers: set[int]) -> Case:
    x = np.array([[table[u].signals[n] for n in NAMES] for u in candidates], dtype=float)
    return Case(at, x, np.array([u in answerers for u in candidates]))


def vector(weights: dict[str, float]) -> np.ndarray:
    return np.array([weights.get(n, 0.0) for n in NAMES])


def fit(cases: Sequence[Case], start: dict[str, float] | None = None) -> dict[str, float]:
    """Conditional-logit weights: maximise Σ log P(an answerer | question) − L2·n·|w − defaults|²."""
    prior = vector(start or DEFAULT_WEIGHTS)
    cases = sorted((c for c in cases if c.relevant.any() and len(c.relevant) > 1), key=lambda c: c.at)
    if not cases:
        return dict(DEFAULT_WEIGHTS)
    x = np.vstack([c.signals for c in cases])
    pos = np.concatenate([c.relevant for c in cases]).astype(float)
    seg = np.repeat(np.arange(len(cases)), [len(c.relevant) for c in cases])
    starts = np.concatenate([[0], np.cumsum([len(c.relevant) for c in cases])[:-1]])
    scale = x.std(axis=0)
    learnable = scale > 1e-9  # a signal with no spread in this history (e.g. nobody declared) keeps its default
    scale = np.where(learnable, scale, 1.0)
    z = x / scale
    w = prior * scale  # in standardised units
    # later questions weigh more: the organisation drifts (half the weight at half the history back)
    age = np.arange(len(cases))[::-1] / max(len(cases), 1)
    case_w = 0.5 ** (age / CASE_HALF_LIFE)
    case_w = case_w / case_w.mean()
    row_w = case_w[seg]
    n = len(cases)
    m, v = np.zeros_like(w), np.zeros_like(w)
    for step in range(1, STEPS + 1):
        s = z @ w
        s_max = np.maximum.reduceat(s, starts)[seg]
        e = np.exp(s - s_max)
        all_sum = np.add.reduceat(e, starts)[seg]
        pos_sum = np.add.reduceat(e * pos, starts)[seg]
        # d/ds of −log(Σpos e / Σall e) = e/Σall − pos·e/Σpos
        grad_s = e / all_sum - pos * e / np.maximum(pos_sum, 1e-300)
        # the pull is on the weights as shown (raw units): a signal with little spread cannot buy a huge weight
        grad = z.T @ (grad_s * row_w) / n + 2 * L2 * (w / scale - prior) / scale
        grad[~learnable] = 0.0
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad ** 2
        w -= 0.05 * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
        if NONNEGATIVE:
            w = np.maximum(w, 0.0)
    raw = w / scale
    raw[~learnable] = prior[~learnable]
    return {name: round(float(value), 4) for name, value in zip(NAMES, raw)}


def expected_rr(scores: np.ndarray, relevant: np.ndarray) -> tuple[float, float]:
    """(P@1, reciprocal rank) of the first relevant candidate, in expectation over a random order of ties."""
    best = scores[relevant].max()
    above = int((scores > best).sum())
    g = int((scores == best).sum())
    r = int((relevant & (scores == best)).sum())
    total = math.comb(g, r)
    p1 = rr = 0.0
    for j in range(1, g - r + 2):
        p = math.comb(g - j, r - 1) / total
        rr += p / (above + j)
        p1 += p * (above + j == 1)
    return p1, rr


def reciprocal_ranks(cases: Sequence[Case], score) -> np.ndarray:
    """The (expected) reciprocal rank of the first answerer, per case that has one."""
    return np.array([expected_rr(score(c), c.relevant)[1] for c in cases if c.relevant.any()])


def mrr(cases: Sequence[Case], score) -> float:
    ranks = reciprocal_ranks(cases, score)
    return round(float(ranks.mean()), 3) if len(ranks) else 0.0


# How sure "learned against the best baseline" is: the checked questions drawn again with replacement,
# every ranking on the same draw, the best baseline chosen anew on each. With the few dozen questions of a
# later slice (or of a benchmark's period) a ratio of 0.97 or 1.05 can lie on either side of 1.
BOOTSTRAP_DRAWS = 2000


def bootstrap_ratios(product: np.ndarray, baselines: Sequence[np.ndarray], draws: int = BOOTSTRAP_DRAWS) -> np.ndarray:
    """The ratio of the product's MRR to the best baseline's on `draws` resamples (a fixed seed: the same
    report every time); `product` and each baseline hold one reciprocal rank per question, in one order."""
    n = len(product)
    if n == 0 or not len(baselines):
        return np.zeros(0)
    picks = np.random.default_rng(13).integers(0, n, size=(draws, n))
    best = np.max([np.asarray(b)[picks].mean(axis=1) for b in baselines], axis=0)
    return np.asarray(product)[picks].mean(axis=1) / np.maximum(best, 1e-12)


def ratio_interval(ratios: np.ndarray) -> dict:
    """The 90 % interval of the ratio, how often it was at least 1 and 1.1, and what that says: "better"
    (the interval above 1), "worse" (below 1) or "level" (1 inside it: too few questions to tell)."""
    if not len(ratios):
        return {}
    low, high = (round(float(v), 3) for v in np.percentile(ratios, [5, 95]))
    return {"ci90": [low, high], "share_at_least_1": round(float((ratios >= 1.0).mean()), 3),
            "share_at_least_1.1": round(float((ratios >= 1.1).mean()), 3),
            "verdict": "better" if low > 1.0 else "worse" if high < 1.0 else "level"}


def validation_report(fit_cases: Sequence[Case], check: Sequence[Case], learned: dict[str, float]) -> dict:
    """MRR on the later slice: learned weights, defaults and each baseline; ratio to the best baseline, and
    how sure that ratio is."""
    column = {n: i for i, n in enumerate(NAMES)}
    ranks = {"learned": reciprocal_ranks(check, lambda c: c.signals @ vector(learned)),
             "defaults": reciprocal_ranks(check, lambda c: c.signals @ vector(DEFAULT_WEIGHTS))}
    for name, signal in BASELINES.items():
        ranks[name] = reciprocal_ranks(check, lambda c, i=column[signal]: c.signals[:, i])
    table = {name: round(float(r.mean()), 3) if len(r) else 0.0 for name, r in ranks.items()}
    best = max(table[name] for name in BASELINES)
    interval = ratio_interval(bootstrap_ratios(ranks["learned"], [ranks[name] for name in BASELINES]))
    return {"MRR": table, "ratio_to_best_baseline": round(table["learned"] / best, 3) if best else None,
            "ratio_interval": interval,
            "fit_questions": len(fit_cases), "validation_questions": len([c for c in check if c.relevant.any()]),
            "fit_until": fit_cases[-1].at.isoformat() if fit_cases else None,
            "baselines": {name: SIGNALS[signal] for name, signal in BASELINES.items()}}


def learn_from_cases(cases: Sequence[Case]) -> tuple[dict[str, float] | None, dict]:
    """(weights or None when the history is too small, report)."""
    cases = sorted((c for c in cases if c.relevant.any() and len(c.relevant) > 1), key=lambda c: c.at)
    if len(cases) < MIN_QUESTIONS:
        return None, {"status": "defaults", "questions": len(cases), "minimum": MIN_QUESTIONS,
                      "message": f"only {len(cases)} answered questions with an earlier answerer "
                                 f"(at least {MIN_QUESTIONS} needed): routing keeps the default weights",
                      "weights": dict(DEFAULT_WEIGHTS)}
    cut = int(len(cases) * FIT_SHARE)
    early = fit(cases[:cut])
    report = validation_report(cases[:cut], cases[cut:], early)
    weights = fit(cases)  # what routing uses: the same fit over every question, now validated
    return weights, {"status": "learned", "questions": len(cases), "weights": weights,
                     "validation": report}


# ---------------------------------------------------------------------------------------------
# The organisation's history
# ---------------------------------------------------------------------------------------------

def replay_history(session: Session, search: SearchService | None) -> list[Case]:
    """Every answered question in time order, scored with only the answers given before it."""
    answered = (Question.answered_at.is_not(None), Question.status.in_(("answered", "closed")))
    rows = session.execute(
        select(Question.id, Question.answered_by_id, Question.answered_at).where(*answered)
        .union_all(select(AnswerEvidence.question_id, AnswerEvidence.user_id, AnswerEvidence.answered_at)
                   .join(Question, Question.id == AnswerEvidence.question_id).where(*answered))).all()
    answers = sorted({(at, qid, uid) for qid, uid, at in rows if uid is not None})
    times = [at for at, _, _ in answers]
    answerers: dict[int, set[int]] = {}
    for _, qid, uid in answers:
        answerers.setdefault(qid, set()).add(uid)
    questions = session.execute(select(Question.id, Question.created_at, Question.text, Question.customer_email,
                                       Question.customer_phone_key)
                                .where(Question.id.in_(list(answerers))).order_by(Question.created_at)).all()
    customer = {q.id: (q.customer_email or q.customer_phone_key) for q in questions}
    topics = question_topic_slugs(session)
    cases = []
    for q in questions:
        past_rows = answers[:bisect_left(times, q.created_at)]
        candidates = sorted({uid for _, _, uid in past_rows})
        if len(candidates) < 2 or not (answerers[q.id] & set(candidates)):
            continue
        similar = {}
        if search is not None:
            similar = {i: s for kind, i, s in search.similar_documents(q.text, kinds=("question",),
                                                                       k=SIMILAR_QUESTIONS)}
        mine = customer.get(q.id)
        past = [PastAnswer(user_id=uid, answered_at=at, similarity=similar.get(qid, 0.0),
                           topics=topics.get(qid, frozenset()),
                           same_customer=mine is not None and customer.get(qid) == mine)
                for at, qid, uid in past_rows]
        table = expertise_scores(q.created_at, past, question_topics=topics.get(q.id, frozenset()),
                                 candidates=candidates)
        cases.append(case_from_scores(q.created_at, table, candidates, answerers[q.id]))
    return cases


def learn_weights(session: Session, now: datetime, search: SearchService | None) -> dict:
    """Replay, fit, validate; store the weights (when there was enough history) and return the report."""
    weights, report = learn_from_cases(replay_history(session, search))
    if weights is not None:
        row = LearnedWeights(learned_at=now, questions=report["questions"], weights=weights, report=report)
        session.add(row)
        session.flush()
        report["id"] = row.id
    report["learned_at"] = now.isoformat()
    return report


def current_weights(session: Session) -> dict[str, float] | None:
    """The newest learned weights, or None (routing then uses DEFAULT_WEIGHTS). One small query per routing,
    read from the database each time: no per-process copy that could outlive a newer row or belong to
    another database (a process replaying several sets, a test run)."""
    return session.scalar(select(LearnedWeights.weights).order_by(LearnedWeights.id.desc()).limit(1))


def latest_learned(session: Session) -> LearnedWeights | None:
    return session.scalar(select(LearnedWeights).order_by(LearnedWeights.id.desc()).limit(1))
