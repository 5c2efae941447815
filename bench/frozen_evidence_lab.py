"""Frozen evidence (#13, session 6): which fitting rule carries over to a history that ends. VALIDATION only.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/frozen_evidence_lab.py [--embedder hashing] [--set MODULE.NAME=VALUE ...]

In process (bench/eval_routing.py's signals and baselines, the question's own tags): for every site the
weights are fitted (bench.eval_routing.learned_weights, i.e. routing.learning) on the
questions before 40 % and scored on the validation period 40–80 % twice: "growing" (every earlier answer
counts, eval_routing's continuous replay) and "frozen" (only answers to questions before 40 % count, the
candidates and truths to match: what `replay_routing_api.py --import history` does). Each `--set` list
(comma-separated settings, e.g. routing.expertise.GAP_STRETCH=8) is one variant; "product" is the
code as it is. Prints JSON {variant: {mode: {site: {strict, lenient}}, mode+"_mean": {...}}}.
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


def run(embedder, variants: dict[str, list[str]]) -> dict:
    out: dict = {}
    for path in sorted(bench.DATA_ROOT.glob("stackexchange-*")):
        questions, answers = bench.load_posts(path / "Posts.xml")
        vectors = bench.embed_questions(questions, embedder)
        site = path.name.removeprefix("stackexchange-")
        baselines = {"random": bench.random_scorer, "most_active": bench.most_active_scorer,
                     "tag_overlap": bench.tag_overlap_scorer(questions), "bm25": bench.bm25_scorer(answers)}
        start, end = bench.VALIDATION_START, bench.HISTORY_END
        fit_cases = bench.replay(questions, answers, 0.0, start)
        growing = bench.replay(questions, answers, start, end)
        imported = {q.id for q in questions[:int(start * len(questions))]}
        frozen = [c for c in (known_only(c, imported) for c in growing) if len(c.candidates) > 0]
        for variant, settings in variants.items():
            old = apply(settings)
            signals = bench.signal_table(questions, vectors)  # per variant: a setting may change the signals
            weights, _ = bench.learned_weights(fit_cases, signals)
            scorers = {"product": bench.weighted_scorer(signals, weights), **baselines}
            for mode, cases in (("growing", growing), ("frozen", frozen)):
                table = bench.evaluate(cases, scorers)
                out.setdefault(variant, {}).setdefault(mode, {})[site] = table["ratio_to_best_baseline"]
            for name, value in old.items():
                module, _, attr = name.rpartition(".")
                setattr(importlib.import_module(module), attr, value)
            out[variant].setdefault("weights", {})[site] = weights
            bench.log(variant, site, {m: out[variant][m][site] for m in ("growing", "frozen")})
    for variant, modes in out.items():
        for mode in ("growing", "frozen"):
            modes[mode + "_mean"] = {t: round(float(np.mean([s[t] for s in modes[mode].values()])), 3)
                                     for t in ("strict", "lenient")}
    return out


def main(argv: list[str]) -> None:
    embedder = HashingEmbedder() if "hashing" in argv else MiniLMEmbedder()
    variants = {"product": []}
    for i, arg in enumerate(argv):
        if arg == "--set":
            variants[argv[i + 1]] = argv[i + 1].split(",")
    print(json.dumps(run(embedder, variants), indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
