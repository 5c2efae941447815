"""Replaying an organisation's history through the app (#13): `routing import-history`, then the preview
API asked "who would get this at <time>", as bench/replay_routing_api.py does for a whole site.

Through the app's CLI and API, with SQLite and the real (hashing-embedder) search index.
"""
import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from routing.learning import current_weights
from routing.models import LearnedWeights, Question
from tests.factories import make_user
from tests.test_routing_import import _staff_token, _write
from tests.test_routing_learn import _history

WOZ = "Bezwaar tegen de WOZ-waarde van mijn woning"


def _line(number: int, created: datetime, tag: str, email: str, title: str, text: str = "") -> str:
    return json.dumps({"question_id": number, "created": created.isoformat(), "title": title, "text": text,
                       "tags": [tag], "asker": f"klant-{number}",
                       "answers": [{"email": email, "created": (created + timedelta(hours=3)).isoformat(),
                                    "accepted": True, "text": "Zo zit het."}]})


def _import(runner, tmp_path, name: str, lines: list[str], *extra: str):
    result = runner.invoke(args=["routing", "import-history", _write(tmp_path, name, "\n".join(lines) + "\n"), *extra])
    assert result.exit_code == 0, result.output
    return result


def _preview(client, headers, text: str, at: str, limit: int = 1000) -> dict:
    response = client.post("/api/v1/routing/preview", headers=headers, json={"text": text, "at": at, "limit": limit})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_a_preview_at_a_past_moment_counts_only_the_answers_and_topics_known_then(client, runner, session, tmp_path):
    # 2018: Annelies answers the WOZ objections (tag woz-bezwaar). 2019: Bram answers twice as many, filed
    # under a topic that did not exist before (woz-beschikking).
    early = datetime(2018, 3, 5, 9, 0, tzinfo=timezone.utc)
    later = datetime(2019, 5, 6, 9, 0, tzinfo=timezone.utc)
    lines = [_line(n, early + timedelta(days=n), "woz-bezwaar", "annelies@gemeente.example", f"{WOZ} {n}")
             for n in range(3)]
    lines += [_line(n, later + timedelta(days=n), "woz-beschikking", "bram@gemeente.example", f"{WOZ} {n}")
              for n in range(3, 9)]
    _import(runner, tmp_path, "h.jsonl", lines)
    headers = {"Authorization": f"Bearer {_staff_token(session, runner)}"}

    then = _preview(client, headers, WOZ, "2018-06-01T10:00:00Z")
    names = [c["name"] for c in then["candidates"]]
    assert names == ["Imported expert annelies@gemeente.example", "Imported expert bram@gemeente.example"]
    bram = then["candidates"][1]
    assert bram["score"] == 0.0 and "no answers or declared expertise for this yet" in bram["reasons"]
    # the topic of Bram's later questions was not known in June 2018: only the earlier one is inferred
    assert then["topic"]["slug"] == "woz-bezwaar" and then["topic"]["confidence"] > 0.8

    now = _preview(client, headers, WOZ, "2019-06-01T10:00:00Z")
    assert [c["name"] for c in now["candidates"]] == names[::-1]  # Bram's answers count from May 2019


def test_people_imported_without_working_hours_are_all_ranked_and_returned_when_asked_for_all(
        client, runner, session, tmp_path):
    start = datetime(2020, 1, 6, 9, 0, tzinfo=timezone.utc)
    lines = [_line(n, start + timedelta(days=n), tag, email, title) for n, (tag, email, title) in enumerate(
        [("woz-bezwaar", "annelies@gemeente.example", WOZ)] * 4 + [("grofvuil", "bram@gemeente.example",
                                                                    "Grofvuil ophalen: bank en kast")] * 4)]
    _import(runner, tmp_path, "h.jsonl", lines)
    newcomer = make_user(session, "expert", name="Aart Aalders")  # first by name: no history, no hours
    session.commit()
    headers = {"Authorization": f"Bearer {_staff_token(session, runner)}"}

    preview = _preview(client, headers, "Wanneer wordt mijn grofvuil opgehaald? Een bank en een kast.",
                       "2020-02-03T10:00:00Z")
    assert preview["total"] == 3 and len(preview["candidates"]) == 3
    first, second, last = preview["candidates"]
    assert first["name"] == "Imported expert bram@gemeente.example" and first["score"] > second["score"] > 0
    assert last["user_id"] == newcomer.id  # nobody without evidence before someone with
    assert not any(c["available"] for c in preview["candidates"])  # nobody has working hours
    assert preview["route"].startswith("routed to Imported expert bram@gemeente.example: ")
    assert len(_preview(client, headers, WOZ, "2020-02-03T10:00:00Z", limit=2)["candidates"]) == 2


def test_import_history_learns_routing_s_weights_at_its_end_unless_told_not_to(runner, session, tmp_path):
    from tests.test_routing_import import EXPERTS_CSV, _topics

    _topics(session)
    assert runner.invoke(args=["routing", "import-experts", _write(tmp_path, "e.csv", EXPERTS_CSV)]).exit_code == 0
    lines = _history(69).splitlines()
    first = _import(runner, tmp_path, "h1.jsonl", lines[:30], "--no-learn")
    assert "Learned" not in first.output and session.scalar(select(func.count()).select_from(LearnedWeights)) == 0

    rest = _import(runner, tmp_path, "h2.jsonl", lines[30:])
    assert "Learned routing's weights from " in rest.output
    row = session.scalar(select(LearnedWeights))
    low, high = row.report["validation"]["ratio_interval"]["ci90"]
    assert f"(90 % interval {low}–{high}: " in rest.output  # how sure the comparison is, said at once
    assert row.questions >= 40  # fitted on the whole history, not only the last file
    assert current_weights(session) == row.weights
    assert all(weight >= 0 for weight in row.weights.values())  # a signal counts for a person, never against

