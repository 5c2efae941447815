import time
from tests.browser.test_journeys import organisation  # noqa
from routing.models import Question
from sqlalchemy import select

def test_speed(person, session, organisation, app):
    client = app.test_client()
    t = time.time()
    refs = []
    for i in range(40):
        r = client.post("/api/v1/questions", json={"text": f"question {i} about <b>parking</b> permits", "channel": "web", "customer": {"name": f"n{i}"}})
        assert r.status_code == 201, r.get_data(as_text=True)
        refs.append(r.get_json()["reference"])
    print("40 take-ins", time.time() - t)
    p = person(); page = p.sign_in("petra@example.org")
    t = time.time()
    for ref in refs:
        page.goto(f"/inbox/questions/{ref}")
    print("40 inbox pages", time.time() - t)
    t = time.time()
    for ref in refs:
        page.goto(f"/?q=parking+{ref}")
    print("40 search pages", time.time() - t)
