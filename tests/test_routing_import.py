"""An organisation that brings what it has: experts from a spreadsheet, history from an export (#13).

Through the app's CLI and API, with SQLite and the real (hashing-embedder) search index.
"""
import json
from datetime import datetime, timezone

from sqlalchemy import func, select

from knowledge.models import User
from routing.expertise import PastAnswer, expertise_map, expertise_scores
from routing.models import AnswerEvidence, DeclaredExpertise, Question, WorkingHours
from tests.factories import make_topic, make_user

EXPERTS_CSV = """email,name,topics,capacity,mon,tue,wed,thu,fri,sat,sun
annelies@gemeente.example,Annelies de Vries,property-tax:3;taxes:2,6,08:30-17:00,08:30-17:00,,08:30-17:00,08:30-12:30,,
bram@gemeente.example,Bram Jansen,bulky-waste:3,4,08:30-17:00,08:30-17:00,08:30-17:00,,,,
joke@gemeente.example,Joke de Boer,dog-tax:3,5,,,,,,,
"""


def _topics(session):
    taxes = make_topic(session, "taxes", "Belastingen")
    make_topic(session, "property-tax", "WOZ", parent=taxes)
    make_topic(session, "dog-tax", "Hondenbelasting", parent=taxes)
    waste = make_topic(session, "waste", "Afval")
    make_topic(session, "bulky-waste", "Grofvuil", parent=waste)
    session.commit()


def _history_line(number, year, asker, tag, answers, title):
    return json.dumps({"question_id": number, "created": f"{year}-03-0{number % 9 + 1}T09:00:00Z", "title": title,
                       "tags": [tag, "gemeente"], "asker": asker,
                       "answers": [{"email": email, "created": f"{year}-03-0{number % 9 + 1}T1{i}:00:00Z",
                                    "accepted": i == 0, "text": "Zo zit het."} for i, email in enumerate(answers)]})


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _staff_token(session, runner):
    make_user(session, "agent", email="agent@gemeente.example")
    session.commit()
    return runner.invoke(args=["users", "token", "--email", "agent@gemeente.example"]).output.strip()


def test_an_old_history_still_counts_as_learned_expertise():
    now = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
    past = [PastAnswer(user_id=1, answered_at=datetime(2018, 5, 1, tzinfo=timezone.utc), similarity=0.9),
            PastAnswer(user_id=2, answered_at=datetime(2018, 1, 1, tzinfo=timezone.utc), similarity=0.9)]
    scores = expertise_scores(now, past, candidates=[1, 2, 3])
    assert scores[1].score > scores[2].score > 0.0  # the more recent within the history weighs more
    assert scores[3].score == 0.0


def test_an_organisation_loaded_only_by_import_routes_to_an_available_person(client, runner, session, tmp_path):
    _topics(session)
    result = runner.invoke(args=["routing", "import-experts", _write(tmp_path, "experts.csv", EXPERTS_CSV)])
    assert result.exit_code == 0, result.output
    assert "Imported 3 new and 0 existing experts." in result.output
    annelies = session.scalar(select(User).where(User.email == "annelies@gemeente.example"))
    assert {w.weekday for w in session.scalars(select(WorkingHours).where(WorkingHours.user_id == annelies.id))} == \
        {"mon", "tue", "thu", "fri"}

    history = [_history_line(n, 2018, f"klant-{n}", "woz-bezwaar", ["annelies@gemeente.example",
                                                                   "joke@gemeente.example"],
                             f"Bezwaar tegen de WOZ-waarde van mijn woning {n}") for n in range(1, 6)]
    history += [_history_line(n, 2018, f"klant-{n}", "grofvuil", ["bram@gemeente.example"],
                              f"Grofvuil ophalen, bank en kast {n}") for n in range(6, 9)]
    history.append('{"title": "kapot"}')
    result = runner.invoke(args=["routing", "import-history", _write(tmp_path, "h.jsonl", "\n".join(history) + "\n")])
    assert "Imported 8 answered questions and 0 new experts; skipped 1 invalid lines." in result.output
    assert "Kept 13 answers as evidence" in result.output  # both answerers of each WOZ question
    assert "Warning: The newest answer is from 2018-03-" in result.output
    assert session.scalar(select(func.count()).select_from(AnswerEvidence)) == 5
    learned = {p.name: p.learned for p in expertise_map(session, datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc))}
    assert learned["Joke de Boer"] == [("Imported › woz-bezwaar", 5)]  # never accepted, still learned

    token = _staff_token(session, runner)
    headers = {"Authorization": f"Bearer {token}"}
    preview = client.post("/api/v1/routing/preview", headers=headers,
                          json={"text": "Mevrouw vindt de WOZ-waarde van haar woning te hoog", "limit": 2}).get_json()
    assert len(preview["candidates"]) == 2 and preview["total"] == 3
    topic = preview["topic"]
    assert topic["inferred"] is True and 0 < topic["confidence"] <= 1
    assert topic["label"] == f"Lijkt op: {topic['path']} ({topic['confidence']:.2f})".replace(".", ",")
    first = preview["candidates"][0]
    assert first["name"] == "Annelies de Vries" and first["available"] and first["score"] > 0
    assert preview["route"].startswith("routed to Annelies de Vries: ")
    assert "available until" in preview["route"]

    response = client.post("/api/v1/questions", headers=headers,
                           json={"text": "Mevrouw vindt de WOZ-waarde van haar woning te hoog", "channel": "phone"})
    assert response.status_code == 201
    question = session.scalar(select(Question).where(Question.reference == response.get_json()["reference"]))
    assert question.owner_id == annelies.id
    assert question.events[-1].payload["reason"].startswith("routed to Annelies de Vries: ")


def test_preview_at_a_time_says_who_would_get_it_then(client, runner, session, tmp_path):
    _topics(session)
    runner.invoke(args=["routing", "import-experts", _write(tmp_path, "experts.csv", EXPERTS_CSV)])
    headers = {"Authorization": f"Bearer {_staff_token(session, runner)}"}
    ask = {"text": "Vraag over de WOZ-waarde", "topic": "property-tax"}
    wednesday = client.post("/api/v1/routing/preview", headers=headers,
                            json={**ask, "at": "2026-03-04T10:00:00+01:00", "limit": 100}).get_json()
    annelies = next(c for c in wednesday["candidates"] if c["name"] == "Annelies de Vries")
    assert wednesday["at"].startswith("2026-03-04T09:00:00")
    assert not any("available until" in r for r in annelies["reasons"])  # Wednesday is her day off
    assert wednesday["topic"] == {"slug": "property-tax", "path": "Belastingen › WOZ", "confidence": 1.0,
                                  "inferred": False}
    for wrong, code in (({"at": "maandag"}, "bad_at"), ({"limit": 0}, "bad_limit"), ({"limit": "veel"}, "bad_limit")):
        response = client.post("/api/v1/routing/preview", headers=headers, json={**ask, **wrong})
        assert response.status_code == 400 and response.get_json()["error"] == code


def test_a_bad_line_in_the_experts_file_imports_nobody(runner, session, tmp_path):
    _topics(session)
    text = EXPERTS_CSV + "kees@gemeente.example,Kees,parking:2,5,9-17,,,,,,\n"
    result = runner.invoke(args=["routing", "import-experts", _write(tmp_path, "experts.csv", text)])
    assert result.exit_code != 0
    assert "line 5: there is no topic 'parking'" in result.output
    assert "line 5: mon: '9-17' is not a working day like 08:30-17:00" in result.output
    assert "Nothing imported" in result.output
    assert session.scalar(select(func.count()).select_from(User)) == 0
    assert session.scalar(select(func.count()).select_from(DeclaredExpertise)) == 0


def test_tags_go_to_topics_through_a_mapping_file(runner, session, tmp_path):
    _topics(session)
    mapping = _write(tmp_path, "map.csv", "tag,topic\nwoz-bezwaar,property-tax\ngemeente,\n")
    line = _history_line(1, 2025, {"name": "Mevr. Jansen", "email": "Jansen@Example.org"}, "woz-bezwaar",
                         ["a@gemeente.example"], "WOZ te hoog")
    result = runner.invoke(args=["routing", "import-history", _write(tmp_path, "h.jsonl", line + "\n"),
                                 "--topics", mapping])
    assert "created 0 topics" in result.output
    question = session.scalar(select(Question))
    assert question.topic.slug == "property-tax" and question.customer_email == "jansen@example.org"
    bad = runner.invoke(args=["routing", "import-history", _write(tmp_path, "h2.jsonl", line + "\n"),
                              "--topics", _write(tmp_path, "bad.csv", "woz,nergens\n")])
    assert bad.exit_code != 0 and "line 1: there is no topic 'nergens'" in bad.output
    assert session.scalar(select(func.count()).select_from(Question)) == 1


def test_the_intake_form_shows_the_inferred_topic_and_records_the_agents_correction(client, auth, session):
    from routing.models import Event

    _topics(session)
    make_user(session, "agent", email="agent@gemeente.example")
    make_user(session, "expert", email="joke@gemeente.example", name="Joke de Boer")
    session.commit()
    auth.login("agent@gemeente.example")
    page = client.get("/frontoffice/questions/new?q=Mevrouw vindt haar WOZ-waarde te hoog").get_data(as_text=True)
    assert "Lijkt op: Belastingen › WOZ (1,00)" in page
    assert 'value="property-tax" selected' in page or 'selected value="property-tax"' in page
    response = auth.post("/frontoffice/questions/new", {"text": "Mevrouw vindt haar WOZ-waarde te hoog",
                                                        "channel": "phone", "priority": "normal",
                                                        "topic": "dog-tax", "inferred_topic": "property-tax"})
    assert response.status_code == 302  # to the new question's page
    corrected = session.scalar(select(Event).where(Event.kind == "topic_corrected"))
    assert corrected.payload == {"inferred": "property-tax", "chosen": "dog-tax"}


def test_with_no_evidence_for_anyone_the_question_goes_to_the_coordinator_and_says_so(client, runner, session):
    from routing.sla import set_policy
    from tests.factories import make_expert

    _topics(session)
    make_expert(session, "Aart Aalders")  # first by name, knows nothing declared or learned
    coordinator = make_expert(session, "Zoë Zandstra")
    set_policy(session, topic_id=None, accept_within_minutes=60, answer_within_hours=16, escalate_before_minutes=120,
               coordinator_id=coordinator.id)
    session.commit()
    headers = {"Authorization": f"Bearer {_staff_token(session, runner)}"}
    ask = {"text": "Een vraag waar niemand iets over weet", "channel": "phone"}
    preview = client.post("/api/v1/routing/preview", headers=headers, json=ask).get_json()
    assert preview["candidates"][0]["name"] == "Zoë Zandstra"
    assert any("no evidence for anyone" in r for r in preview["candidates"][0]["reasons"])
    assert preview["route"] == ("routed to Zoë Zandstra, the topic's coordinator: "
                                "no evidence for anyone on this question yet")
    reference = client.post("/api/v1/questions", headers=headers, json=ask).get_json()["reference"]
    question = session.scalar(select(Question).where(Question.reference == reference))
    assert question.owner_id == coordinator.id
