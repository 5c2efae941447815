"""How sure a search is of each result, and whether it found an answer at all.

A result's confidence is the probability, in 0–1, that it answers the query: a logistic model over
evidence that means the same in every list — the model's cosine, how far the result stands out
from the rest of the list, whether the query's words occur in it — not a rescaling of the current
list (whose best is "1.0" even when nothing fits). `answer_found` is the best result's confidence
against a threshold chosen on validation queries, so a customer is told when nothing answers.

The constants are fitted per embedder (their cosines differ in scale) by
`bench/calibrate_confidence.py` on the validation and training parts of StackFAQ, PolicyQA-NL and
demo_nl; unanswerable queries are those sets' queries with their answers held out of the
collection, and demo_nl's own queries without an answer. Run the script and paste its `models`
here after changing the ranking or an embedder.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

FEATURES = ("cosine", "stands_out", "lead", "behind_best", "keyword", "has_keyword")
# Results after which the list's "rest" is measured (the median cosine of the first ones).
CROWD = 10


@dataclass(frozen=True)
class Calibration:
    weights: tuple[float, ...]  # one per FEATURES
    bias: float
    threshold: float  # the best result's confidence from which an answer counts as found


# Fitted by bench/calibrate_confidence.py (see its JSON output for data, splits and reliability).
MODELS: dict[str, Calibration] = {
    "all-minilm-l6-v2": Calibration(
        weights=(11.2718, 1.6648, -0.9201, -6.2729, 4.0983, -0.58), bias=-9.5773, threshold=0.0309),
    "multilingual-e5-small-q4": Calibration(
        weights=(62.3582, 3.8443, 1.2195, -0.5161, 4.3412, -1.5567), bias=-57.1474, threshold=0.0802),
}
# The deterministic test double has no meaning to calibrate: its cosine is word overlap, and it
# counts as an answer from half the words shared (confidence 0.5 at cosine 0.5).
MODELS["hashing-256"] = Calibration(weights=(10.0, 0.0, 0.0, 0.0, 0.0, 0.0), bias=-5.0, threshold=0.5)


@dataclass(frozen=True)
class Evidence:
    """What the ranking knew of one result: fused score, the model's cosine, the keyword score
    scaled over the keyword candidates (0 when the query's words do not occur)."""

    fused: float
    cosine: float
    keyword: float
    has_keyword: bool


def features(ranked: Sequence[Evidence]) -> list[tuple[float, ...]]:
    """Each result's features, from the ranked list it stands in."""
    if not ranked:
        return []
    cosines = sorted((e.cosine for e in ranked[:CROWD]), reverse=True)
    crowd = cosines[len(cosines) // 2]
    best = ranked[0].fused
    out = []
    for i, e in enumerate(ranked):
        following = ranked[i + 1].fused if i + 1 < len(ranked) else 0.0
        out.append((e.cosine, e.cosine - crowd, e.fused - following, best - e.fused, e.keyword,
                    1.0 if e.has_keyword else 0.0))
    return out


def confidences(ranked: Sequence[Evidence], model: str, calibrations: dict[str, Calibration] | None = None
                ) -> list[float]:
    """The probability that each result answers the query."""
    calibration = (calibrations or MODELS).get(model) or MODELS["all-minilm-l6-v2"]
    return [_sigmoid(calibration.bias + sum(w * x for w, x in zip(calibration.weights, row)))
            for row in features(ranked)]


def threshold(model: str) -> float:
    return (MODELS.get(model) or MODELS["all-minilm-l6-v2"]).threshold


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z > -50 else 0.0
