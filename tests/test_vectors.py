"""The in-memory vector matrix: public rows first, kept right through every add, edit and removal."""
import random

import numpy as np

from knowledge.search import Document, HashingEmbedder, VectorSpace


def test_nearest_matches_brute_force_through_random_adds_edits_audience_changes_and_removals():
    rng = random.Random(7)
    space = VectorSpace(HashingEmbedder())
    truth: dict[str, tuple[Document, np.ndarray]] = {}
    for step in range(3000):
        i = rng.randrange(400)
        kind = rng.choice(["article", "question"])
        key = f"{kind}:{i}"
        if rng.random() < 0.25 and truth:
            gone = rng.choice(sorted(truth))
            space.remove([gone])
            del truth[gone]
            continue
        doc = Document(kind, i, f"t{i}", "b", rng.choice(["public", "internal"]), "en")
        vector = np.asarray([rng.gauss(0, 1) for _ in range(space.embedder.dim)], np.float32)
        space.put([doc], vector[None, :])
        truth[key] = (doc, vector)
        if step % 250 == 0 or step == 2999:
            query = np.asarray([rng.gauss(0, 1) for _ in range(space.embedder.dim)], np.float32)
            for public_only in (True, False):
                for kinds in (("article", "question"), ("article",), ("question",)):
                    allowed = {k: float(v @ query) for k, (d, v) in truth.items()
                               if (not public_only or d.audience == "public") and d.kind in kinds}
                    expected = sorted(allowed, key=lambda k: -allowed[k])[:20]
                    keys, scores, also = space.nearest(query, public_only=public_only, kinds=kinds, k=20,
                                                       also=list(truth))
                    assert keys == expected
                    assert np.allclose(scores, [allowed[k] for k in expected], atol=1e-4)
                    assert set(also) == set(allowed)
                    assert all(abs(also[k] - allowed[k]) < 1e-4 for k in allowed)
    assert len(space) == len(truth)


def test_an_article_made_internal_leaves_the_public_block():
    space = VectorSpace(HashingEmbedder())
    doc = Document("article", 1, "Dog tax", "Pay it yearly.", "public", "en")
    vector = space.embedder.embed_documents(["dog tax"])
    space.put([doc], vector)
    assert space.nearest(vector[0], public_only=True, kinds=("article",), k=5)[0] == ["article:1"]
    space.put([Document("article", 1, "Dog tax", "Pay it yearly.", "internal", "en")], vector)
    assert space.nearest(vector[0], public_only=True, kinds=("article",), k=5)[0] == []
    assert space.nearest(vector[0], public_only=False, kinds=("article",), k=5)[0] == ["article:1"]
