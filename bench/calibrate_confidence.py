"""Fit the confidence model of `knowledge/search/confidence.py` per embedder, and print it as JSON.

    BENCH_DATA=../shared/data HF_HUB_OFFLINE=1 PYTHONPATH=$PWD .venv/bin/python bench/calibrate_confidence.py

Data: only the parts of the evaluation sets that are not reported as results —
- StackFAQ: the user paraphrases of the odd threads (the even ones are left for nothing but checking);
- PolicyQA-NL: the 400 *training* questions (their contexts among all 500), not the 100 test ones;
- demo_nl: the `validation` lines of bench/data/retrieval_demo_nl.jsonl (never its `test` lines).
Answerable examples are the searches as they are; unanswerable ones are the same searches with their
relevant documents held out of the list (what the search shows when the knowledge base lacks the
answer), plus demo_nl's queries without an expected article. Each of the first `TOP` results of a
list is one example, labelled by whether it is relevant; a logistic regression (L2, Newton steps)
fits `confidence.FEATURES`. The threshold on the first result's confidence is the highest that
flags at most `FALSE_FLAG_BUDGET` of the answerable calibration searches: a customer wrongly told
"no direct answer" still sees the results, so that error is the one kept small.

Prints {"models": {embedder: {"weights", "bias", "threshold"}}, "reliability": {...}, "no_answer": {...}}.
Paste `models` into `knowledge/search/confidence.py` (the constants there name this script).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import eval_retrieval as er  # noqa: E402

from knowledge.search import confidence  # noqa: E402

TOP = 3
FALSE_FLAG_BUDGET = 0.03
L2 = 1.0


def lists_from_service(name: str, documents, queries, names) -> list[tuple[list, set[int]]]:
    """(evidence of the ranked hits as ids, relevant ids) per query."""
    with tempfile.TemporaryDirectory() as directory:
        service = er.build_service(name, documents, directory, names)
        out = [(hits_of(service.search(q, public_only=False, limit=20)), relevant) for q, relevant in queries]
        service.fulltext.close()
    return out


def hits_of(hits) -> list[tuple[int, confidence.Evidence]]:
    return [(h.id, h.evidence) for h in hits]


def examples(lists) -> tuple[list, list, list, list]:
    """Rows and labels of the results, and the first results' confidences inputs, answerable and held out."""
    rows, labels, answerable, unanswerable = [], [], [], []
    for ranked, relevant in lists:
        variants = [(ranked, True)] if relevant else [(ranked, False)]
        if relevant:
            variants.append(([(i, e) for i, e in ranked if i not in relevant], False))
        for variant, has_answer in variants:
            if not variant:
                (answerable if has_answer else unanswerable).append(None)
                continue
            feats = confidence.features([e for _, e in variant])
            for (doc_id, _), row in list(zip(variant, feats))[:TOP]:
                rows.append(row)
                labels.append(1.0 if doc_id in relevant else 0.0)
            (answerable if has_answer else unanswerable).append(feats[0])
    return rows, labels, answerable, unanswerable


def fit(rows, labels) -> tuple[np.ndarray, float]:
    x = np.asarray(rows, float)
    y = np.asarray(labels, float)
    mean, scale = x.mean(0), x.std(0) + 1e-9
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    for _ in range(50):  # Newton steps with an L2 penalty (not on the intercept)
        p = 1 / (1 + np.exp(-z @ w))
        penalty = np.r_[np.full(z.shape[1] - 1, L2), 0.0]
        gradient = z.T @ (p - y) + penalty * w
        hessian = (z * (p * (1 - p))[:, None]).T @ z + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    weights = w[:-1] / scale
    bias = w[-1] - float((w[:-1] * mean / scale).sum())
    return weights, float(bias)


def probability(calibration: confidence.Calibration, row) -> float:
    return 1 / (1 + np.exp(-(calibration.bias + float(np.dot(calibration.weights, row)))))


def choose_threshold(calibration, answerable, unanswerable) -> float:
    top = sorted(probability(calibration, f) for f in answerable if f is not None)
    allowed = int(FALSE_FLAG_BUDGET * len(answerable)) - sum(f is None for f in answerable)
    return float(top[max(allowed, 0)]) if top else 0.5


def reliability(calibration, rows, labels, bins: int = 5) -> list[dict]:
    p = np.asarray([probability(calibration, r) for r in rows])
    y = np.asarray(labels)
    out = []
    for low in np.linspace(0, 1, bins, endpoint=False):
        mine = (p >= low) & (p < low + 1 / bins + (1e-9 if low + 1 / bins >= 1 else 0))
        if mine.any():
            out.append({"predicted": f"{low:.1f}-{low + 1 / bins:.1f}", "n": int(mine.sum()),
                        "mean_predicted": round(float(p[mine].mean()), 3), "observed": round(float(y[mine].mean()), 3)})
    return out


def flag_rates(calibration, answerable, unanswerable) -> dict:
    def flagged(f):
        return f is None or probability(calibration, f) < calibration.threshold
    return {"flagged": round(sum(map(flagged, unanswerable)) / max(len(unanswerable), 1), 4),
            "false_flags": round(sum(map(flagged, answerable)) / max(len(answerable), 1), 4),
            "answerable": len(answerable), "unanswerable": len(unanswerable)}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo-queries", type=Path, default=er.DEMO_QUERIES)
    args = parser.parse_args(argv)
    faq_docs, faq_queries = er.stackfaq()
    threads = {}
    for text, relevant in faq_queries:
        threads.setdefault(min(relevant), []).append((text, relevant))
    faq_calibration = [q for i, (_, qs) in enumerate(sorted(threads.items())) if i % 2 == 1 for q in qs]
    pq_docs, pq_train = er.policyqa("train")
    by_model: dict[str, list] = {}
    sources: dict[str, list[str]] = {}
    for model_names in ({"en": "minilm"}, er.WITH_DUTCH):
        model = er.embedders_named(model_names)["en"].name
        lists = lists_from_service("stackfaq", faq_docs, faq_calibration, model_names)
        lists += lists_from_service("policyqa_nl", pq_docs, pq_train, model_names)
        sources[model] = ["stackfaq odd threads", "policyqa_nl train"]
        if args.demo_queries.exists():
            demo = [(hits_of(hits), relevant) for q, hits, relevant in
                    er.demo_searches(args.demo_queries, model_names, limit=20) if q["split"] == "validation"]
            lists += demo
            sources[model].append(f"demo_nl validation ({len(demo)})")
        by_model.setdefault(model, []).extend(lists)
        er.log(f"{model}: {len(lists)} calibration searches")
    report = {"models": {}, "reliability": {}, "no_answer_on_calibration": {}, "data": sources,
              "features": confidence.FEATURES, "top_results_per_search": TOP,
              "false_flag_budget": FALSE_FLAG_BUDGET}
    for model, lists in by_model.items():
        rows, labels, answerable, unanswerable = examples(lists)
        weights, bias = fit(rows, labels)
        calibration = confidence.Calibration(tuple(round(float(w), 4) for w in weights), round(bias, 4), 0.5)
        calibration = confidence.Calibration(calibration.weights, calibration.bias,
                                             round(choose_threshold(calibration, answerable, unanswerable), 4))
        report["models"][model] = {"weights": list(calibration.weights), "bias": calibration.bias,
                                   "threshold": calibration.threshold}
        report["reliability"][model] = reliability(calibration, rows, labels)
        report["no_answer_on_calibration"][model] = flag_rates(calibration, answerable, unanswerable)
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
