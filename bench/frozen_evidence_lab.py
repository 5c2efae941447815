"""Frozen evidence (#13, session 6): which fitting rule carries over to a history that ends. VALIDATION only.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/frozen_evidence_lab.py [--embedder hashing] [--set MODULE.NAME=VALUE ...]
                                                                   [--late] [--frozen-weights]

In process (bench/eval_routing.py's signals and baselines, the question's own tags): for every site the
weights are fitted (bench.eval_routing.learned_weights, i.e. routing.learning) on the
questions before 40 % and scored on the validation period 40–80 % twice: "growing" (every earlier answer
counts, eval_routing's continuous replay) and "frozen" (only answers to questions before 40 % count, the
candidates and truths to match: what `replay_routing_api.py --import history` does). Each `--set` list
(comma-separated settings, e.g. routing.expertise.GAP_STRETCH=8) is one variant; "product" is the
code as it is. `--late`: fit before 64 %, score 64–80 % (the test's shape inside the history).
`--frozen-weights` (session 8) adds a "frozen" mode scored with a second weight vector, fitted (from the
fresh weights) on frozen cases made inside the fit history: evidence stopped at 50, 60, 70 and 80 % of it,
each scoring the next 25 % — what routing could use once its evidence is old.
Prints JSON {variant: {mode: {site: {strict, lenient}}, mode+"_mean": {...}}}.
"""
from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import eval_routing as bench  # noqa: E402
from routing import learning  # noqa: E402
from knowledge.search.embeddings import HashingEmbedder, MiniLMEmbedder  # noqa: E402


def known_only(case: bench.Case, imported: set[int]) -> bench.Case:
    past = [a for a in case.past if a.question_id in imported]
    candidates = sorted({a.user_id for a in past})
    return bench.Case(case.question, past, candidates, case.strict_truth & set(candidates),
                      case.lenient_truth & set(candidates))


def apply(settings: list[str]) -> dict:
    old = {}
    for setting in settings:
        target, _, value = setting.partition("=")
        module, _, name = target.rpartition(".")
        mod = importlib.import_module(module)
        old[target] = getattr(mod, name)
        setattr(mod, name, type(old[target])(value))
    return old


FROZEN_CUTS, FROZEN_SPAN = (0.5, 0.6, 0.7, 0.8), 0.25


def frozen_fit_cases(questions, answers, end: float) -> list[bench.Case]:
    """Cases inside the history before `end` whose evidence stopped some time before them (FROZEN_CUTS)."""
    m = int(end * len(questions))
    by_id = {c.question.id: c for c in bench.replay(questions, answers, 0.0, end)}
    cases = []
    for cut in FROZEN_CUTS:
        imported = {q.id for q in questions[:int(cut * m)]}
        for q in questions[int(cut * m):min(int((cut + FROZEN_SPAN) * m), m)]:
            case = known_only(by_id[q.id], imported)
            if case.candidates:
                cases.append(case)
    return cases


def run(embedder, variants: dict[str, list[str]], start: float = bench.VALIDATION_START,
        frozen_weights: bool = False) -> dict:
    out: dict = {}
    for path in sorted(bench.DATA_ROOT.glob("stackexchange-*")):
        questions, answers = bench.load_posts(path / "Posts.xml")
        vectors = bench.embed_questions(questions, embedder)
        site = path.name.removeprefix("stackexchange-")
        baselines = {"random": bench.random_scorer, "most_active": bench.most_active_scorer,
                     "tag_overlap": bench.tag_overlap_scorer(questions), "bm25": bench.bm25_scorer(answers)}
        end = bench.HISTORY_END
        fit_cases = bench.replay(questions, answers, 0.0, start)
        growing = bench.replay(questions, answers, start, end)
        imported = {q.id for q in questions[:int(start * len(questions))]}
        frozen = [c for c in (known_only(c, imported) for c in growing) if len(c.candidates) > 0]
        for variant, settings in variants.items():
            old = apply(settings)
            signals = bench.signal_table(questions, vectors)  # per variant: a setting may change the signals
            weights, _ = bench.learned_weights(fit_cases, signals)
            scorers = {"product": bench.weighted_scorer(signals, weights), **baselines}
            scored = [("growing", growing, scorers), ("frozen", frozen, scorers)]
            if frozen_weights:
                stale = [learning.Case(c.question.created, signals(c), np.array([u in c.lenient_truth for u in c.candidates]))
                         for c in frozen_fit_cases(questions, answers, start) if c.lenient_truth and len(c.candidates) > 1]
                second = learning.fit(stale, start=weights)
                scored.append(("frozen_second_weights", frozen, {**scorers,
                                                                 "product": bench.weighted_scorer(signals, second)}))
            for mode, cases, chosen in scored:
                table = bench.evaluate(cases, chosen)
                out.setdefault(variant, {}).setdefault(mode, {})[site] = table["ratio_to_best_baseline"]
            for name, value in old.items():
                module, _, attr = name.rpartition(".")
                setattr(importlib.import_module(module), attr, value)
            out[variant].setdefault("weights", {})[site] = weights
            bench.log(variant, site, {m: out[variant][m][site] for m, _, _ in scored})
    for variant, modes in out.items():
        for mode in [m for m in modes if m != "weights"]:
            modes[mode + "_mean"] = {t: round(float(np.mean([s[t] for s in modes[mode].values()])), 3)
                                     for t in ("strict", "lenient")}
    return out


def main(argv: list[str]) -> None:
    embedder = HashingEmbedder() if "hashing" in argv else MiniLMEmbedder()
    variants = {"product": []}
    for i, arg in enumerate(argv):
        if arg == "--set":
            variants[argv[i + 1]] = argv[i + 1].split(",")
    start = bench.HISTORY_END * bench.HISTORY_END if "--late" in argv else bench.VALIDATION_START
    print(json.dumps(run(embedder, variants, start, "--frozen-weights" in argv), indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
