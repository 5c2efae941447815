"""Which signal sets and fitting rules to keep: chosen on the VALIDATION periods only.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/routing_signals_lab.py [--embedder hashing] [--test] [--only=VARIANT ...]

For every site, weights are fitted (routing.learning.learn_from_cases) on the questions before 40 % and
scored on the validation period 40–80 % (bench/eval_routing.py's protocol), for each candidate set of
signals. `--test` also prints the test period (fitted before 80 %): read it only after choosing.
Prints JSON: {variant: {site: {strict, lenient}, "mean_ratio": {...}}}.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import eval_routing as bench  # noqa: E402
from knowledge.search.embeddings import HashingEmbedder, MiniLMEmbedder  # noqa: E402
from routing import learning  # noqa: E402
from routing.expertise import DEFAULT_WEIGHTS  # noqa: E402

# "similar_all" (the similarity vote without decay) was tried too and added nothing on validation
# (docs/research/routing-lab.md, session 5); it is no longer computed.
BASE = ("similar", "topic_recent", "customer", "declared", "activity", "recency", "topic_all", "closest")
SETTINGS = {  # variant → (L2, CASE_HALF_LIFE, fit on the accepted answerer where there is one)
    "nonnegative+both:l2=0.002": (0.002, 0.5, False),
    "nonnegative+both:l2=0.02": (0.02, 0.5, False),
    "nonnegative+both:half=0.25": (0.005, 0.25, False),
    "nonnegative+both:half=1": (0.005, 1.0, False),
    "nonnegative+both:accepted": (0.005, 0.5, True),
}
VARIANTS = {
    **{name: BASE + ("topic_share", "recent_activity") for name in SETTINGS},
    "current": BASE,
    "nonnegative": BASE,
    "pick_on_inner_validation": BASE,
    "nonnegative+both": BASE + ("topic_share", "recent_activity"),
    "nonnegative+recent_activity": BASE + ("recent_activity",),
    "nonnegative+both+pick_on_inner_validation": BASE + ("topic_share", "recent_activity"),
    "+topic_share": BASE + ("topic_share",),
    "+recent_activity": BASE + ("recent_activity",),
    "+both": BASE + ("topic_share", "recent_activity"),
}


PRODUCT_SETTINGS = (learning.NONNEGATIVE, learning.L2, learning.CASE_HALF_LIFE)


def fitted(cases, signals, accepted: bool):
    """bench.learned_weights, optionally with the accepted answerer as the one right answer where known."""
    if not accepted:
        return bench.learned_weights(cases, signals)
    fit_cases = [learning.Case(c.question.created, signals(c),
                               np.array([u in (c.strict_truth or c.lenient_truth) for u in c.candidates]))
                 for c in cases if c.lenient_truth and len(c.candidates) > 1]
    weights, report = learning.learn_from_cases(fit_cases)
    return weights or dict(DEFAULT_WEIGHTS), report


def run(embedder, periods, only: list[str] | None = None) -> dict:
    out: dict = {}
    variants = {k: v for k, v in VARIANTS.items() if not only or k in only}
    for path in sorted(bench.DATA_ROOT.glob("stackexchange-*")):
        questions, answers = bench.load_posts(path / "Posts.xml")
        vectors = bench.embed_questions(questions, embedder)
        site = path.name.removeprefix("stackexchange-")
        baselines = {"random": bench.random_scorer, "most_active": bench.most_active_scorer,
                     "tag_overlap": bench.tag_overlap_scorer(questions), "bm25": bench.bm25_scorer(answers)}
        all_names = tuple(dict.fromkeys(n for v in variants.values() for n in v))
        learning.NAMES = all_names
        signals = bench.signal_table(questions, vectors)  # memoised over every name once
        for period, start, end in periods:
            fit_cases = bench.replay(questions, answers, 0.0, start)
            eval_cases = bench.replay(questions, answers, start, end)
            for case in fit_cases + eval_cases:  # fill the memo with every signal, before NAMES changes
                signals(case)
            for variant, names in variants.items():
                columns = [all_names.index(n) for n in names]

                def sub(case, columns=columns):
                    return signals(case)[:, columns]

                learning.NAMES = names
                learning.NONNEGATIVE = variant.startswith("nonnegative")
                l2, half, accepted = SETTINGS.get(variant, (0.005, 0.5, False))
                learning.L2, learning.CASE_HALF_LIFE = l2, half
                weights, report = fitted(fit_cases, sub, accepted)
                learning.NONNEGATIVE, learning.L2, learning.CASE_HALF_LIFE = PRODUCT_SETTINGS
                if variant.endswith("pick_on_inner_validation") and report.get("validation") and \
                        report["validation"]["MRR"]["defaults"] > report["validation"]["MRR"]["learned"]:
                    weights = dict(DEFAULT_WEIGHTS)
                scorers = {"product": bench.weighted_scorer(sub, weights),
                           "product_defaults": bench.weighted_scorer(sub, DEFAULT_WEIGHTS), **baselines}
                table = bench.evaluate(eval_cases, scorers)
                learning.NAMES = all_names
                out.setdefault(f"{period}:{variant}", {})[site] = {
                    t: {"product": table[t]["product"]["MRR"], "ratio": table["ratio_to_best_baseline"][t]}
                    for t in ("strict", "lenient")} | {"weights": weights}
                bench.log(period, variant, site, table["ratio_to_best_baseline"])
    for key, sites in out.items():
        sites["mean_ratio"] = {t: round(float(np.mean([s[t]["ratio"] for s in sites.values()])), 3)
                               for t in ("strict", "lenient")}
    return out


def main(argv: list[str]) -> None:
    embedder = HashingEmbedder() if "--embedder" in argv and "hashing" in argv else MiniLMEmbedder()
    periods = [("validation", bench.VALIDATION_START, bench.HISTORY_END)]
    if "--test" in argv:
        periods.append(("test", bench.HISTORY_END, 1.0))
    only = [a.removeprefix("--only=") for a in argv if a.startswith("--only=")]
    print(json.dumps(run(embedder, periods, only), indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
