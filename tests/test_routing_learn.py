"""Weights learned from the organisation's own history (#13): `flask routing learn`, stored, used, shown.

Through the app's CLI and API, with SQLite and the real (hashing-embedder) search index.
"""
import json
from datetime import datetime, timedelta, timezone

import numpy as np
from sqlalchemy import select

from routing import learning
from routing.expertise import DEFAULT_WEIGHTS
from routing.models import LearnedWeights
from tests.factories import make_user
from tests.test_routing_import import EXPERTS_CSV, _staff_token, _topics, _write

START = datetime(2019, 1, 7, 9, 0, tzinfo=timezone.utc)  # years before the test clock: old history still counts
# Annelies answers the tax questions, Bram the waste ones; Joke answers now and then, whatever it is.
SUBJECTS = {"woz-bezwaar": ("annelies@gemeente.example", "Bezwaar tegen de WOZ-waarde van de woning"),
            "grofvuil": ("bram@gemeente.example", "Grofvuil ophalen: bank, kast en matras")}


def _history(count: int) -> str:
    lines = []
    for n in range(count):
        tag = "woz-bezwaar" if n % 2 else "grofvuil"
        email, title = SUBJECTS[tag]
        created = START + timedelta(days=n)
        answers = [{"email": email, "created": (created + timedelta(hours=2)).isoformat(), "accepted": True,
                    "text": "Zo zit het."}]
        if n % 5 == 0:
            answers.append({"email": "joke@gemeente.example", "created": (created + timedelta(hours=3)).isoformat(),
                            "accepted": False, "text": "Aanvulling."})
        lines.append(json.dumps({"question_id": n + 1, "created": created.isoformat(), "title": f"{title} {n}",
                                 "tags": [tag], "asker": f"klant-{n}", "answers": answers}))
    return "\n".join(lines) + "\n"


def _load(runner, session, tmp_path, count):
    _topics(session)
    assert runner.invoke(args=["routing", "import-experts", _write(tmp_path, "e.csv", EXPERTS_CSV)]).exit_code == 0
    result = runner.invoke(args=["routing", "import-history", _write(tmp_path, "h.jsonl", _history(count))])
    assert result.exit_code == 0, result.output


def _learn(runner) -> dict:
    result = runner.invoke(args=["routing", "learn"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_learning_from_an_imported_history_stores_validated_weights_that_routing_uses(client, runner, session,
                                                                                     tmp_path):
    _load(runner, session, tmp_path, 69)  # the last one (n = 68) is a waste question: Bram answered last
    report = _learn(runner)
    assert report["status"] == "learned" and report["questions"] >= learning.MIN_QUESTIONS
    validation = report["validation"]
    assert set(validation["MRR"]) == {"learned", "defaults", "most_active", "topic_overlap"}
    assert validation["MRR"]["learned"] >= max(validation["MRR"]["most_active"], validation["MRR"]["topic_overlap"])
    assert validation["validation_questions"] > 0
    row = session.scalar(select(LearnedWeights))
    assert row.questions == report["questions"] and row.weights == report["weights"] != DEFAULT_WEIGHTS

    headers = {"Authorization": f"Bearer {_staff_token(session, runner)}"}

    def preview():
        body = client.post("/api/v1/routing/preview", headers=headers,
                           json={"text": "Ik wil bezwaar maken tegen de WOZ-waarde", "limit": 3}).get_json()
        return [c["name"] for c in body["candidates"]], body

    names, body = preview()
    assert names[0] == "Annelies de Vries" and body["candidates"][0]["score"] > 0
    # A newer row is what routing uses from the next question on (read anew for every question): with
    # only "answered recently" counting, Bram, who answered last (in 2019, years before the clock), comes first.
    only_recency = {name: 0.0 for name in DEFAULT_WEIGHTS} | {"recency": 1.0}
    session.add(LearnedWeights(learned_at=START, questions=1, weights=only_recency, report={}))
    session.commit()
    names, body = preview()
    assert names[0] == "Bram Jansen" and body["candidates"][0]["score"] > 0


def test_below_the_minimum_of_history_routing_keeps_the_defaults_and_says_so(runner, session, tmp_path):
    _load(runner, session, tmp_path, 12)
    result = runner.invoke(args=["routing", "learn"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["status"] == "defaults" and report["weights"] == DEFAULT_WEIGHTS
    assert f"at least {learning.MIN_QUESTIONS} needed" in report["message"]
    assert "routing keeps the default weights" in result.stderr
    assert session.scalar(select(LearnedWeights)) is None
    assert learning.current_weights(session) is None


def test_the_fit_learns_the_signal_that_predicts_who_answers():
    """Synthetic replay: the answerer is the one most active and recent together, never the most similar one."""
    rng = np.random.default_rng(7)
    names = learning.NAMES
    cases = []
    for i in range(80):
        x = rng.random((6, len(names)))
        truth = int(np.argmax(x[:, names.index("activity")] + x[:, names.index("recency")]))
        x[truth, names.index("similar")] = 0.0  # similarity points away from the answerer
        cases.append(learning.Case(START + timedelta(days=i), x, np.arange(6) == truth))
    weights, report = learning.learn_from_cases(cases)
    assert weights["activity"] > weights["similar"] and weights["recency"] > weights["similar"]
    assert min(weights.values()) >= 0.0  # a signal that points away counts for nobody, not against them
    assert report["validation"]["MRR"]["learned"] > report["validation"]["MRR"]["defaults"]
    assert report["validation"]["ratio_to_best_baseline"] >= 1.0


def test_the_admin_sees_the_weights_when_they_were_learned_and_the_baselines(client, auth, session):
    admin = make_user(session, "admin", email="admin@gemeente.example")
    report = {"validation": {"MRR": {"learned": 0.61, "defaults": 0.5, "most_active": 0.4, "topic_overlap": 0.45},
                             "ratio_to_best_baseline": 1.356, "fit_questions": 49, "validation_questions": 21,
                             "ratio_interval": {"ci90": [0.94, 1.71], "verdict": "level"}}}
    session.add(LearnedWeights(learned_at=datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc), questions=70,
                               weights=DEFAULT_WEIGHTS | {"activity": 0.8}, report=report))
    session.commit()
    auth.login("admin@gemeente.example")
    page = client.get("/admin/routing-weights", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "answers in all" in page and "0.800" in page
    assert "1 Mar 2026" in page and "70" in page
    assert "0.61" in page and "0.45" in page and "1.356" in page
    assert "Margin (90% interval): 0.94 to 1.71 ×." in page
    assert "Too few later questions to tell it apart from the best baseline." in page
    admin.locale = "nl"  # staff read the interface in their own language
    session.commit()
    dutch = client.get("/admin/routing-weights").get_data(as_text=True)
    assert "Marge (90%-interval): 0,94 tot 1,71 ×." in dutch
    assert "Te weinig latere vragen om het verschil met de beste eenvoudige regel te kunnen zien." in dutch


def test_the_validation_says_whether_the_learned_weights_beat_the_baselines_beyond_chance():
    """A few dozen later questions cannot tell 0.97 from 1.05: the report gives the interval and says so."""
    rng = np.random.default_rng(3)
    names = learning.NAMES

    def cases(n, clear):
        made = []
        for i in range(n):
            x = rng.random((6, len(names)))
            truth = int(np.argmax(x[:, names.index("similar")])) if clear or i % 2 else int(rng.integers(6))
            made.append(learning.Case(START + timedelta(days=i), x, np.arange(6) == truth))
        return made

    learned = DEFAULT_WEIGHTS | {"similar": 5.0}
    clear = learning.validation_report(cases(60, True)[:40], cases(200, True), learned)
    assert clear["ratio_interval"]["verdict"] == "better" and clear["ratio_interval"]["ci90"][0] > 1.0
    some = cases(8, False)
    few = learning.validation_report([], some, learned)
    low, high = few["ratio_interval"]["ci90"]
    assert low <= few["ratio_to_best_baseline"] <= high and high - low > 0.2
    assert few["ratio_interval"]["verdict"] == ("level" if low <= 1.0 <= high else "better" if low > 1 else "worse")
    assert learning.validation_report([], some, learned) == few  # the same report every time


def test_each_database_routes_with_its_own_learned_weights_though_their_rows_share_an_id(tmp_path):
    """One process, two organisations' databases (a replay of several sets, a test run): the weights cached
    for the first must never rank the second's questions."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from knowledge.base import Base

    learned = {"beer": DEFAULT_WEIGHTS | {"activity": 0.9}, "iota": DEFAULT_WEIGHTS | {"recency": 1.7}}
    sessions = {}
    for name, weights in learned.items():
        engine = create_engine(f"sqlite:///{tmp_path / name}.db")
        Base.metadata.create_all(engine)
        sessions[name] = Session(engine)
        sessions[name].add(LearnedWeights(learned_at=START, questions=50, weights=weights, report={}))
        sessions[name].commit()
    assert {name: s.scalar(select(LearnedWeights.id)) for name, s in sessions.items()} == {"beer": 1, "iota": 1}
    for name in ("beer", "iota", "beer"):
        assert learning.current_weights(sessions[name]) == learned[name]
    for s in sessions.values():
        s.close()
