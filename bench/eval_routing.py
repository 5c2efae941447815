"""Routing evaluation: does the product's expertise score send a question to the person who answers it?

    HF_HUB_OFFLINE=1 .venv/bin/python bench/eval_routing.py [--embedder hashing] [--no-demo]

Prints ONE JSON object on stdout, {"sites": {site: {strict, lenient, questions, ratio_to_best_baseline,
ratio_bootstrap, validation, ...}}, "mean_ratio_to_best_baseline", "mean_ratio_bootstrap", "demo_nl": {...}};
progress goes to stderr. ratio_bootstrap: the 90 % interval of the ratio over resampled questions (`evaluate`).

Data: every Stack Exchange dump under ../shared/data/stackexchange-* (each has a README.md), all with the
same protocol and no per-site settings; the demo_nl set is bench/eval_routing_demo_nl.py's.

Protocol (the one of docs/research/routing-lab.md):
- Questions sorted by CreationDate; the first 80 % are history, the last 20 % the test period. The
  validation period is history questions 40–80 % (the lab tuned its method there).
- Continuous replay: for each evaluated question only answers created before its CreationDate
  count, so the evidence keeps growing during the period.
- Candidates: every user with at least one answer before the question.
- Strict: questions whose accepted answer's author is a candidate; truth = that author.
  Lenient: questions with at least one answerer who is a candidate; truth = all such answerers.
- Metrics: P@1, Hit@5 and MRR (reciprocal rank of the first relevant candidate). Ties in a score
  are broken at random; we report the exact expectation over that random order (no seeds).

Scorers, all on the same candidates:
- product: the named signals of `routing.expertise.expertise_scores` (the very function the product
  routes with) × the weights `routing.learning.learn_from_cases` learns (what `flask routing learn`
  stores) from the questions before the period only: for the test period those before 80 %, for
  the validation period those before 40 %. product_defaults: the same signals × DEFAULT_WEIGHTS. Each
  earlier answer is a `PastAnswer` whose similarity is the cosine of MiniLM embeddings
  (`knowledge.search.MiniLMEmbedder.embed_documents`, cached under bench/.cache/) of the new
  question and the question that answer answered, each embedded as "title + first 1,500 characters
  of the body text"; its topics are that question's tags; `same_customer` says whether that question's
  asker is the one asking now (the product recognises customers by e-mail or phone).
- random: every candidate tied.
- most_active: number of earlier answers.
- tag_overlap: for each tag of the question, the user's earlier answers to questions with that tag.
- bm25: BM25 (k1 1.2, b 0.75) of the question's title and body text against one document per
  candidate, the concatenation of their earlier answer bodies.
"""
from __future__ import annotations

import hashlib
import html
import json
import math
import os
import re
import sys
import time
import xml.etree.ElementTree as ET
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from knowledge.search.embeddings import HashingEmbedder, MiniLMEmbedder  # noqa: E402
from routing import learning  # noqa: E402
from routing.expertise import DEFAULT_WEIGHTS, PastAnswer, expertise_scores  # noqa: E402

# ../shared beside the clone (or beside the worktrees' folder): every stackexchange-* folder in it is a site
DATA_ROOT = next((p / "shared" / "data" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared" / "data").is_dir()),
                 ROOT.parent / "shared" / "data")
CACHE = ROOT / "bench" / ".cache"
HISTORY_END = 0.8  # test period: questions from here on
VALIDATION_START = 0.4  # validation period: history questions from here to HISTORY_END
EMBED_BODY_CHARS = 1500
BM25_K1, BM25_B = 1.2, 0.75
HIT_AT = 5
PRODUCTS = ("product", "product_defaults")  # not baselines

_TAG = re.compile(r"<[^>]*>")
_TOKEN = re.compile(r"[a-z0-9]+")


def log(*parts) -> None:
    print(f"[{time.strftime('%H:%M:%S')}]", *parts, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Question:
    id: int
    created: datetime
    title: str
    text: str  # body, HTML stripped
    tags: frozenset[str]
    accepted_answer_id: int | None
    asker_id: int | None  # the question's owner: the "customer" of routing.customers


@dataclass(frozen=True)
class Answer:
    id: int
    question_id: int
    user_id: int
    created: datetime
    text: str


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=timezone.utc)


def html_to_text(body: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", body)).split())


def load_posts(path: Path) -> tuple[list[Question], list[Answer]]:
    """Questions and answers (those with a known author), each sorted by creation time."""
    questions, answers = [], []
    for row in ET.parse(path).getroot().iter("row"):
        a = row.attrib
        if a["PostTypeId"] == "1":
            questions.append(Question(
                id=int(a["Id"]), created=parse_time(a["CreationDate"]), title=a.get("Title", ""),
                text=html_to_text(a.get("Body", "")), tags=frozenset(re.findall(r"<([^>]+)>", a.get("Tags", ""))),
                accepted_answer_id=int(a["AcceptedAnswerId"]) if "AcceptedAnswerId" in a else None,
                asker_id=int(a["OwnerUserId"]) if "OwnerUserId" in a else None))
        elif a["PostTypeId"] == "2" and "OwnerUserId" in a:
            answers.append(Answer(id=int(a["Id"]), question_id=int(a["ParentId"]), user_id=int(a["OwnerUserId"]),
                                  created=parse_time(a["CreationDate"]), text=html_to_text(a.get("Body", ""))))
    questions.sort(key=lambda q: (q.created, q.id))
    answers.sort(key=lambda x: (x.created, x.id))
    return questions, answers


def embed_questions(questions: list[Question], embedder) -> dict[int, np.ndarray]:
    """Unit vectors of "title + first 1,500 body characters", cached as .npy by content."""
    texts = [f"{q.title}\n{q.text[:EMBED_BODY_CHARS]}" for q in questions]
    key = hashlib.sha256("\x00".join([embedder.name, *texts]).encode()).hexdigest()[:16]
    path = CACHE / f"questions-{embedder.name}-{key}.npy"
    if path.exists():
        vectors = np.load(path)
    else:
        log(f"embedding {len(texts)} questions with {embedder.name}")
        vectors = embedder.embed_documents(texts)
        CACHE.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    return {q.id: vectors[i] for i, q in enumerate(questions)}


# ---------------------------------------------------------------------------------------------
# Replay: what is known when a question arrives
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    question: Question
    past: list[Answer]  # answers created before the question
    candidates: list[int]  # users with >= 1 earlier answer, sorted
    strict_truth: frozenset[int]  # the accepted answer's author, if a candidate
    lenient_truth: frozenset[int]  # every answerer who is a candidate


def replay(questions: list[Question], answers: list[Answer], start: float, end: float) -> list[Case]:
    """The cases for questions[start·n : end·n] (fractions of the time-sorted question list)."""
    n = len(questions)
    answer_times = [x.created for x in answers]
    by_id = {x.id: x for x in answers}
    answerers: dict[int, set[int]] = {}
    for x in answers:
        answerers.setdefault(x.question_id, set()).add(x.user_id)
    cases = []
    for q in questions[int(start * n):int(end * n)]:
        past = answers[:bisect_left(answer_times, q.created)]
        candidates = {x.user_id for x in past}
        accepted = by_id.get(q.accepted_answer_id)
        strict = {accepted.user_id} & candidates if accepted else set()
        lenient = answerers.get(q.id, set()) & candidates
        cases.append(Case(q, past, sorted(candidates), frozenset(strict), frozenset(lenient)))
    return cases


# ---------------------------------------------------------------------------------------------
# Scorers: case → one score per candidate (same order as case.candidates)
# ---------------------------------------------------------------------------------------------

Scorer = Callable[[Case], np.ndarray]


def signal_table(questions: list[Question], vectors: dict[int, np.ndarray]) -> Callable[[Case], np.ndarray]:
    """Case → the named signals (routing.learning.NAMES) per candidate, from the product's own
    `expertise_scores`; memoised, since the learned and default scorers share them."""
    tags = {q.id: q.tags for q in questions}
    asker = {q.id: q.asker_id for q in questions}
    memo: dict[int, np.ndarray] = {}

    def signals(case: Case) -> np.ndarray:
        q = case.question
        key = (q.id, len(case.past))  # a frozen case has fewer earlier answers than the continuous one
        if key not in memo:
            past = [PastAnswer(user_id=x.user_id, answered_at=x.created,
                               similarity=float(vectors[q.id] @ vectors[x.question_id]), topics=tags[x.question_id],
                               same_customer=q.asker_id is not None and asker[x.question_id] == q.asker_id)
                    for x in case.past]
            table = expertise_scores(q.created, past, question_topics=q.tags, declared=None,
                                     candidates=case.candidates)
            memo[key] = np.array([[table[u].signals[n] for n in learning.NAMES] for u in case.candidates])
        return memo[key]

    return signals


def weighted_scorer(signals: Callable[[Case], np.ndarray], weights: dict[str, float]) -> Scorer:
    w = learning.vector(weights)
    return lambda case: signals(case) @ w


def learned_weights(cases: list[Case], signals: Callable[[Case], np.ndarray]) -> tuple[dict[str, float], dict]:
    """What `flask routing learn` would store, fitted on these (earlier) cases only, lenient truth."""
    fit_cases = [learning.Case(c.question.created, signals(c), np.array([u in c.lenient_truth for u in c.candidates]))
                 for c in cases if c.lenient_truth and len(c.candidates) > 1]
    weights, report = learning.learn_from_cases(fit_cases)
    return weights or dict(DEFAULT_WEIGHTS), report


def random_scorer(case: Case) -> np.ndarray:
    return np.zeros(len(case.candidates))


def most_active_scorer(case: Case) -> np.ndarray:
    index = {u: i for i, u in enumerate(case.candidates)}
    counts = np.zeros(len(case.candidates))
    for x in case.past:
        counts[index[x.user_id]] += 1
    return counts


def tag_overlap_scorer(questions: list[Question]) -> Scorer:
    tags = {q.id: q.tags for q in questions}

    def score(case: Case) -> np.ndarray:
        index = {u: i for i, u in enumerate(case.candidates)}
        overlap = np.zeros(len(case.candidates))
        for x in case.past:
            overlap[index[x.user_id]] += len(case.question.tags & tags[x.question_id])
        return overlap

    return score


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def bm25_scorer(answers: list[Answer]) -> Scorer:
    """BM25 over per-candidate documents; a dense answers × vocabulary count matrix makes a
    candidate's term counts one matrix product per question."""
    answer_tokens = [tokens(x.text) for x in answers]
    vocabulary = {t: i for i, t in enumerate(sorted({t for ts in answer_tokens for t in ts}))}
    counts = np.zeros((len(answers), len(vocabulary)), dtype=np.float32)
    for row, ts in enumerate(answer_tokens):
        np.add.at(counts[row], [vocabulary[t] for t in ts], 1.0)
    lengths = counts.sum(axis=1)
    row_of = {x.id: i for i, x in enumerate(answers)}

    def score(case: Case) -> np.ndarray:
        q = case.question
        terms = sorted({vocabulary[t] for t in tokens(f"{q.title} {q.text}") if t in vocabulary})
        rows = np.array([row_of[x.id] for x in case.past])
        index = {u: i for i, u in enumerate(case.candidates)}
        owner = np.zeros((len(case.candidates), len(rows)), dtype=np.float32)
        owner[[index[x.user_id] for x in case.past], np.arange(len(rows))] = 1.0
        tf = owner @ counts[np.ix_(rows, terms)]  # candidates × query terms
        dl = owner @ lengths[rows]
        df = (tf > 0).sum(axis=0)
        n = len(case.candidates)
        idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
        norm = BM25_K1 * (1.0 - BM25_B + BM25_B * dl / dl.mean())
        return (idf * tf * (BM25_K1 + 1.0) / (tf + norm[:, None])).sum(axis=1)

    return score


# ---------------------------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------------------------

def expected_metrics(scores: np.ndarray, relevant: np.ndarray) -> np.ndarray:
    """[P@1, Hit@5, reciprocal rank] of the first relevant candidate, in expectation over a
    uniformly random order among tied scores.

    Only the tie group of the best relevant score matters: `above` candidates score higher; in a
    group of g tied candidates holding r relevant ones, the first relevant sits at place j with
    probability C(g − j, r − 1) / C(g, r).
    """
    best = scores[relevant].max()
    above = int((scores > best).sum())
    g = int((scores == best).sum())
    r = int((relevant & (scores == best)).sum())
    total = math.comb(g, r)
    out = np.zeros(3)
    for j in range(1, g - r + 2):
        p = math.comb(g - j, r - 1) / total
        rank = above + j
        out += p * np.array([rank == 1, rank <= HIT_AT, 1.0 / rank])
    return out


def evaluate(cases: list[Case], scorers: dict[str, Scorer]) -> dict:
    """Tables {strict|lenient: {scorer: {P@1, Hit@5, MRR}}}, the number of questions of each, the ratio of
    the product's MRR to the best baseline's and how sure that ratio is (`ratio_bootstrap`)."""
    per_question = {truth: {name: [] for name in scorers} for truth in ("strict", "lenient")}
    for case in cases:
        truths = {"strict": case.strict_truth, "lenient": case.lenient_truth}
        truths = {k: v for k, v in truths.items() if v}
        if not truths:
            continue
        for name, scorer in scorers.items():
            scores = scorer(case)
            for truth, users in truths.items():
                relevant = np.array([u in users for u in case.candidates])
                per_question[truth][name].append(expected_metrics(scores, relevant))
    metrics = {truth: {name: np.array(rows).reshape(-1, 3) for name, rows in table.items()}
               for truth, table in per_question.items()}
    counts = {truth: len(next(iter(table.values()))) for truth, table in metrics.items()}
    result = {truth: {name: dict(zip(("P@1", f"Hit@{HIT_AT}", "MRR"),
                                     np.round(rows.mean(axis=0) if len(rows) else np.zeros(3), 3).tolist()))
                      for name, rows in table.items()}
              for truth, table in metrics.items()}
    result["questions"] = counts
    result["ratio_to_best_baseline"] = {truth: ratio_to_best_baseline(result[truth]) for truth in counts}
    samples = {truth: bootstrap_ratios({name: rows[:, 2] for name, rows in table.items()})
               for truth, table in metrics.items()}
    result["ratio_bootstrap"] = {truth: bootstrap_summary(s) for truth, s in samples.items()}
    result[BOOTSTRAP_SAMPLES] = samples  # for the mean over sites; main() takes it out before printing
    return result


# How sure a ratio is (routing.learning.bootstrap_ratios, the one the admin's report uses): 90 % interval,
# share of draws ≥ 1 and ≥ 1.1. A site's strict period holds 36–74 questions.
BOOTSTRAP_SAMPLES = "_bootstrap_samples"


def bootstrap_ratios(rr: dict[str, np.ndarray]) -> np.ndarray:
    return learning.bootstrap_ratios(rr["product"], [r for name, r in rr.items() if name not in PRODUCTS])


def bootstrap_summary(ratios: np.ndarray) -> dict:
    return {k: v for k, v in learning.ratio_interval(ratios).items() if k != "verdict"}


def mean_ratio_bootstrap(sites: list[dict]) -> dict:
    """The mean ratio over sites, resampled per site independently; pops each site's samples."""
    out = {}
    samples = [site.pop(BOOTSTRAP_SAMPLES) for site in sites]
    for truth in ("strict", "lenient"):
        draws = [s[truth] for s in samples if len(s[truth])]
        out[truth] = bootstrap_summary(np.mean(draws, axis=0)) if draws else {}
    return out


def ratio_to_best_baseline(table: dict) -> float:
    best = max(metrics["MRR"] for name, metrics in table.items() if name not in PRODUCTS)
    return round(table["product"]["MRR"] / best, 3)


# ---------------------------------------------------------------------------------------------

def evaluate_site(data: Path, embedder) -> dict:
    questions, answers = load_posts(data / "Posts.xml")
    log(f"{data.name}: {len(questions)} questions, {len(answers)} answers with a known author")
    vectors = embed_questions(questions, embedder)
    signals = signal_table(questions, vectors)
    baselines: dict[str, Scorer] = {
        "random": random_scorer,
        "most_active": most_active_scorer,
        "tag_overlap": tag_overlap_scorer(questions),
        "bm25": bm25_scorer(answers),
    }
    out = {}
    # validation: weights fitted on questions before VALIDATION_START; test: on those before HISTORY_END
    for period, start, end in (("validation", VALIDATION_START, HISTORY_END), ("test", HISTORY_END, 1.0)):
        weights, report = learned_weights(replay(questions, answers, 0.0, start), signals)
        scorers = {"product": weighted_scorer(signals, weights),
                   "product_defaults": weighted_scorer(signals, DEFAULT_WEIGHTS), **baselines}
        log(f"{data.name}: {period} period")
        out[period] = {**evaluate(replay(questions, answers, start, end), scorers),
                       "learned": {"weights": weights, "status": report["status"],
                                   "fit_questions": report["questions"],
                                   "inner_validation": report.get("validation")}}
    return {**out["test"], "validation": out["validation"], "questions_total": len(questions)}


def main(argv: list[str]) -> None:
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedder", choices=("minilm", "hashing"), default="minilm",
                        help="hashing: fast, no model (for iterating); minilm: the product's English model")
    parser.add_argument("--no-demo", action="store_true", help="leave out the demo_nl set")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    embedder = MiniLMEmbedder() if args.embedder == "minilm" else HashingEmbedder()
    sites = {path.name.removeprefix("stackexchange-"): evaluate_site(path, embedder)
             for path in sorted(DATA_ROOT.glob("stackexchange-*")) if (path / "Posts.xml").exists()}
    ratios = {truth: round(float(np.mean([s["ratio_to_best_baseline"][truth] for s in sites.values()])), 3)
              for truth in ("strict", "lenient")}
    for site in sites.values():
        site["validation"].pop(BOOTSTRAP_SAMPLES, None)
    output = {"sites": sites, "mean_ratio_to_best_baseline": ratios,
              "mean_ratio_bootstrap": mean_ratio_bootstrap(list(sites.values()))}
    if not args.no_demo:
        sys.path.insert(0, str(ROOT / "bench"))
        from eval_routing_demo_nl import evaluate as evaluate_demo
        embedders = {"en": "hashing", "nl": "hashing"} if args.embedder == "hashing" else None
        demo = evaluate_demo(embedders)
        output["demo_nl"] = {k: demo[k] for k in ("P@1", "Hit@3", "topic_accuracy", "questions")}
    output["protocol"] = {
            "data": f"{DATA_ROOT}/stackexchange-* (every site, same settings)",
            "embedder": embedder.name,
            "split": f"questions by CreationDate: test = last {1 - HISTORY_END:.0%}, "
                     f"validation = {VALIDATION_START:.0%}-{HISTORY_END:.0%}",
            "replay": "continuous: only answers created before each question count",
            "candidates": "every user with >= 1 answer before the question",
            "strict": "truth = accepted answer's author, if a candidate",
            "lenient": "truth = every answerer who is a candidate",
            "tie_breaking": "exact expectation over a uniformly random order of tied candidates",
            "product": "routing.expertise.expertise_scores signals × weights learned by routing.learning "
                       "(learn_from_cases, the function `flask routing learn` uses) on the questions before "
                       "the period only; product_defaults = DEFAULT_WEIGHTS; no BM25 term",
            "embedding_text": f"title + first {EMBED_BODY_CHARS} characters of the HTML-stripped body",
            "bm25": f"k1={BM25_K1}, b={BM25_B}, idf=log(1+(N-df+0.5)/(df+0.5)), query = unique tokens "
                    "of title + body, one document per candidate = their earlier answer bodies",
        }
    output["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(output, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
