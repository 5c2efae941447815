"""Nothing anyone types runs as code: an XSS corpus through every field people can write, seen in Chromium.

Each payload is stored through the real views (form posts with their CSRF token, or the JSON API), a
few payloads per record as long as the field allows (to keep the suite fast), and every page that shows
it is opened in the browser. A page fails when a dialog opens, when an injected script ran (`window.__xss`), when injected
markup made it into the DOM (event-handler attributes, `javascript:`/`data:` URLs, frames, objects,
styles, scripts), when a template expression was evaluated (`{{7*7}}` → 49), or when a plain-text field
does not show the payload literally (which would mean it was swallowed as markup).
"""
from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from knowledge.models import Article, User
from routing.models import Question
from routing.editorial import captured_article
from tests.conftest import AuthActions
from tests.factories import make_expert, make_topic, make_user

pytestmark = pytest.mark.browser

PAYLOADS = [
    # script tags
    '<script>window.__xss=1</script>',
    '<ScRiPt >alert("xss")</sCrIpT>',
    '<script src="data:text/javascript,window.__xss=1"></script>',
    '<scr<script>ipt>window.__xss=1</scr</script>ipt>',
    # event handlers
    '<img src=x onerror="window.__xss=1">',
    '<img src=x:alert(1) onerror=eval(src)>',
    '<svg onload=window.__xss=1>',
    '<body onload=alert(1)>',
    '<details open ontoggle=window.__xss=1>toggle</details>',
    '<input autofocus onfocus=window.__xss=1>',
    '<video><source onerror="window.__xss=1"></video>',
    '<mark onmouseover=window.__xss=1>only mark is markup in snippets</mark>',
    # breaking out of attributes and raw-text elements
    '"><script>window.__xss=1</script>',
    "'><img src=x onerror=window.__xss=1>",
    '" autofocus onfocus="window.__xss=1" x="',
    "' onmouseover='window.__xss=1' x='",
    '</textarea><script>window.__xss=1</script>',
    '</title><script>window.__xss=1</script>',
    '--><script>window.__xss=1</script><!--',
    # javascript: and data: URLs
    '<a href="javascript:window.__xss=1">js link</a>',
    '<a href=" JaVaScRiPt:window.__xss=1">js spaced</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data link</a>',
    '<form><button formaction="javascript:window.__xss=1">go</button></form>',
    # SVG and MathML
    '<svg><script>window.__xss=1</script></svg>',
    '<svg><a xlink:href="javascript:alert(1)"><text y="20">svg link</text></a></svg>',
    '<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1>',
    # Markdown link and image tricks
    '[click me](javascript:window.__xss=1)',
    '[click me](JAVASCRIPT:alert(1))',
    '![pic](javascript:alert(1))',
    '![pic" onerror="window.__xss=1](x)',
    '[link](https://example.org" onmouseover="window.__xss=1)',
    '<javascript:alert(1)>',
    '[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
    # entity tricks
    '<a href="jav&#x61;script:window.__xss=1">entity link</a>',
    '<a href="&#106;&#97;vascript:alert(1)">decimal entities</a>',
    '&lt;img src=x onerror=window.__xss=1&gt;',
    '<img src=x onerror="&#119;indow.__xss=1">',
    # iframe, object, embed
    '<iframe src="javascript:top.__xss=1"></iframe>',
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    '<object data="data:text/html,<script>alert(1)</script>"></object>',
    '<embed src="data:text/html,<script>alert(1)</script>">',
    # style and expression()
    '<div style="background:url(javascript:alert(1))">styled</div>',
    '<p style="width:expression(alert(1))">expr</p>',
    '<style>body{background:url("javascript:alert(1)")}</style>',
    # template injection
    '{{7*7}}',
    'tpl{{7*7}}tpl ${7*7} #{7*7}',
    '{{config.SECRET_KEY}} {{ self.__init__.__globals__ }}',
    '{% raw %}{{7*7}}{% endraw %}',
]
# Tricks that need several lines, for the Markdown fields.
MARKDOWN_TRICKS = [
    '[x][r]\n\n[r]: javascript:window.__xss=1',
    '<div markdown="1">\n[x](javascript:alert(1))\n</div>',
    '<a\nhref="javascript:window.__xss=1">newline inside the tag</a>',
    '> <script>window.__xss=1</script>\n> quoted',
    '| a |\n|---|\n| <img src=x onerror=window.__xss=1> |',
    '```\n</code></pre><script>window.__xss=1</script>\n```',
]
SECRET_KEY = "tests-only"  # tests/conftest.py's app config: must never be printed by {{config.SECRET_KEY}}


def bundles(payloads, *, most: int, chars: int) -> list[list[str]]:
    """The payloads packed in order, at most `most` together and `chars` long joined by spaces.

    A payload that swallowed its neighbours as markup would fail the "shows literally" check, so
    packing them together cannot hide one behind another."""
    packed: list[list[str]] = [[]]
    for payload in payloads:
        if packed[-1] and (len(packed[-1]) == most or len(" ".join(packed[-1] + [payload])) > chars):
            packed.append([])
        packed[-1].append(payload)
    return packed


NAME_SIZED = bundles(PAYLOADS, most=3, chars=120)  # names are at most 120 characters
TITLE_SIZED = bundles(PAYLOADS, most=4, chars=300)  # titles at most 300, search words at most 500


# Lets the handlers of a just-loaded page (onerror, ontoggle, onfocus…) run before we look.
SETTLE = "() => new Promise(done => requestAnimationFrame(() => setTimeout(done, 0)))"
# What got through: run in the page after it loaded; `expected` are the texts it must show literally.
INSPECT = r"""({expected, secret}) => {
  const problems = [];
  if (window.__xss !== undefined) problems.push("an injected script ran (window.__xss is set)");
  const url = /^[\s\u0000-\u001f]*(javascript|vbscript|data):/i;
  const urlAttributes = ["href", "src", "action", "formaction", "data", "xlink:href", "background", "poster",
                         "codebase", "srcset"];
  for (const el of document.body.querySelectorAll("*")) {
    const tag = el.localName;
    if (["iframe", "frame", "frameset", "object", "embed", "applet", "base", "meta", "link", "style"].includes(tag))
      problems.push(`injected <${tag}>`);
    if (tag === "script" && !(el.getAttribute("src") || "").startsWith("/static/"))
      problems.push(`injected <script> ${el.outerHTML.slice(0, 80)}`);
    if ((tag === "svg" || tag === "math") && /xss|alert/i.test(el.outerHTML)) problems.push(`injected <${tag}>`);
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on") && /xss|alert|eval/i.test(attr.value)) problems.push(`<${tag} ${name}="${attr.value}">`);
      if (urlAttributes.includes(name) && url.test(attr.value)) problems.push(`<${tag} ${name}="${attr.value.slice(0, 60)}">`);
      if (name === "srcdoc") problems.push(`<${tag} srcdoc>`);
      if (name === "style" && /expression|javascript|xss/i.test(attr.value)) problems.push(`<${tag} style="${attr.value}">`);
    }
  }
  const squash = (s) => s.replace(/\s+/g, " ").trim();
  const fields = Array.from(document.querySelectorAll("input, textarea"), (f) => f.value);
  const text = squash([document.body.textContent, ...fields].join(" "));
  if (text.includes("tpl49tpl")) problems.push("{{7*7}} was evaluated to 49");
  if (text.includes(secret)) problems.push("{{config.SECRET_KEY}} was evaluated");
  for (const shown of expected) if (!text.includes(squash(shown))) problems.push(`does not show literally: ${shown}`);
  return problems;
}"""


class XssWatch:
    """One person's browser, opening pages and collecting whatever got through on any of them."""

    def __init__(self, person):
        self.person = person
        self.page = person.page
        self.problems: list[str] = []
        self.pages_seen = 0
        self._dialogs_seen = 0

    def visit(self, url: str, *, shows=(), field: str = "") -> None:
        self.page.goto(url)
        self.look(shows=shows, where=f"{field} on {url}")

    def look(self, *, shows=(), where: str = "") -> None:
        self.page.evaluate(SETTLE)
        found = self.page.evaluate(INSPECT, {"expected": [s for s in shows if s], "secret": SECRET_KEY})
        self.pages_seen += 1
        self.problems += [f"{where}: {p}" for p in found]
        self.problems += [f"{where}: a dialog opened: {d}" for d in self.person.dialogs[self._dialogs_seen:]]
        self._dialogs_seen = len(self.person.dialogs)

    def assert_clean(self) -> None:
        assert self.pages_seen, "no page was looked at"
        problems = self.problems + [f"a dialog opened: {d}" for d in self.person.dialogs[self._dialogs_seen:]]
        assert not problems, f"{len(problems)} problems on {self.pages_seen} pages:\n" + "\n".join(problems[:60])


def signed_in_client(app, email: str | None = None) -> AuthActions:
    """A second way in, for storing the payloads fast: the real views, the real forms, the CSRF token."""
    auth = AuthActions(app.test_client())
    if email:
        response = auth.login(email)
        assert response.status_code == 302, f"sign-in as {email} failed"
    return auth


def _ok(response, *codes) -> None:
    assert response.status_code in (codes or (200, 201, 302, 303)), \
        f"{response.status_code}: {response.get_data(as_text=True)[:500]}"


TRACKING = re.compile(r"/track/(VB-\d{4}-\d{6})\?token=([\w-]+)")


def take_in(channel: str, text: str, customer_name: str, *, customer, agent) -> tuple[str, str]:
    """The same question through one of the three doors; returns (reference, tracking path)."""
    if channel == "ask":
        response = customer.post("/ask", {"text": text, "topic": "parking", "name": customer_name, "email": ""})
        _ok(response, 200)
        page = response.get_data(as_text=True)
    elif channel == "intake":
        response = agent.post("/frontoffice/questions/new", {
            "text": text, "channel": "phone", "priority": "normal", "topic": "parking", "name": customer_name,
            "email": "", "phone": ""})
        _ok(response, 302)
        page = agent._client.get(response.headers["Location"]).get_data(as_text=True)
    else:
        response = customer._client.post("/api/v1/questions", json={
            "text": text, "channel": "web", "topic": "parking", "customer": {"name": customer_name}})
        _ok(response, 201)
        page = response.get_json()["tracking_url"]
    match = TRACKING.search(page)
    assert match, f"no tracking link after taking in via {channel}"
    return match.group(1), match.group(0)


@pytest.fixture
def parking(session):
    make_topic(session, "parking", "Parking")
    return {
        "petra": make_expert(session, "Petra Parkeer", knows={"parking": 3}, capacity=200),
        "pim": make_expert(session, "Pim Parkeer", knows={"parking": 2}, capacity=200),
        "agent": make_user(session, "agent", email="agent@example.org", name="Anna Agent"),
        "editor": make_user(session, "editor", email="editor@example.org", name="Eva Editor"),
        "admin": make_user(session, "admin", email="admin@example.org", name="Adam Admin"),
    }


def test_the_corpus_is_large_and_the_inspection_catches_a_real_injection(chromium):
    """The corpus covers the families the issue names, and the page inspection is not blind."""
    assert len(PAYLOADS) >= 30 and len(set(PAYLOADS)) == len(PAYLOADS)
    assert all(len(p) <= 120 and "\n" not in p for p in PAYLOADS)  # fits every field, names included
    page = chromium.new_page()
    try:
        page.set_content('<p>ok</p><img src=x onerror="window.__xss=1"><a href=" javascript:alert(1)">x</a>'
                         f'<p>tpl49tpl {SECRET_KEY}</p>')
        page.evaluate(SETTLE)
        found = page.evaluate(INSPECT, {"expected": ["{{7*7}}"], "secret": SECRET_KEY})
    finally:
        page.close()
    assert any("window.__xss" in p for p in found)
    assert any("onerror" in p for p in found) and any("javascript:alert" in p for p in found)
    assert "{{7*7}} was evaluated to 49" in found and "does not show literally: {{7*7}}" in found
    assert "{{config.SECRET_KEY}} was evaluated" in found


def test_questions_and_everything_said_about_them_show_as_text(app, session, person, parking):
    """Question text (via /ask, the frontoffice intake and the API), customer name, info request,
    customer reply, forward reason, answer body and the editor's send-back comment on the captured draft."""
    customer, agent = signed_in_client(app), signed_in_client(app, "agent@example.org")
    experts = {u.id: signed_in_client(app, u.email) for u in (parking["petra"], parking["pim"])}
    editor = signed_in_client(app, "editor@example.org")
    doors = ("ask", "intake", "api")
    taken = [(bundle, *take_in(doors[i % 3], "\n\n".join(bundle), " ".join(bundle), customer=customer, agent=agent))
             for i, bundle in enumerate(NAME_SIZED)]

    petra, shopper = XssWatch(person()), XssWatch(person())
    petra.person.sign_in("petra@example.org")
    petra.visit("/inbox/", field="question texts (inbox list)")
    for bundle, reference, tracking in taken:
        text, line = "\n\n".join(bundle), " ".join(bundle)
        question = session.scalars(select(Question).where(Question.reference == reference)).one()
        first, other = question.owner_id, next(i for i in experts if i != question.owner_id)
        token = tracking.split("token=")[1]
        _ok(experts[first].post(f"/inbox/questions/{reference}/accept"))
        _ok(experts[first].post(f"/inbox/questions/{reference}/ask", {"message": text}))
        shopper.visit(tracking, shows=bundle, field=f"info request on {reference}")
        _ok(customer.post(tracking, {"token": token, "action": "reply", "message": text}))
        _ok(experts[first].post(f"/inbox/questions/{reference}/forward", {"to_user_id": other, "reason": line}))
        _ok(experts[other].post(f"/inbox/questions/{reference}/answer", {"answer": text, "worth_keeping": "y"}))
    session.expire_all()

    watcher, editor_view = XssWatch(person()), XssWatch(person())
    watcher.person.sign_in("agent@example.org")
    editor_view.person.sign_in("editor@example.org")
    for bundle, reference, tracking in taken:
        question = session.scalars(select(Question).where(Question.reference == reference)).one()
        assert question.status == "answered", f"{reference} is {question.status}"
        draft = captured_article(session, question)
        _ok(editor.post(f"/editor/articles/{draft.id}/send-back", {"comment": " ".join(bundle)}))
        field = f"question {reference} ({question.channel})"
        petra.visit(f"/inbox/questions/{reference}", shows=bundle, field=field)
        petra.visit(f"/previously-answered/{question.id}", shows=bundle, field=field)
        shopper.visit(tracking, shows=bundle, field=field)
        watcher.visit(f"/frontoffice/questions/{reference}", shows=bundle, field=field)
        editor_view.visit(f"/editor/articles/{draft.id}", shows=[draft.title, *bundle], field=f"draft of {field}")

    watcher.visit("/frontoffice/", field="question texts (taken in)")
    for words in ("window xss", "alert", "script onerror"):  # snippets of answered questions, as typed
        watcher.page.goto("/frontoffice/")
        watcher.page.get_by_role("combobox", name="Search").press_sequentially(words, delay=10)
        expect(watcher.page.locator("#search-results [role=option]").first).to_be_visible()
        watcher.look(where=f"frontoffice live search for {words!r}")

    for watch in (petra, shopper, watcher, editor_view):
        watch.assert_clean()


def test_articles_written_in_the_editor_show_titles_as_text_and_bodies_sanitised(app, session, person, parking):
    """Article title, Markdown body and revision note via the editor, on every page that shows them."""
    editor = signed_in_client(app, "editor@example.org")
    titles = [" ".join(b) for b in TITLE_SIZED] + [f"Markdown trick {n}" for n in range(len(MARKDOWN_TRICKS))]
    bodies = ["\n\n".join(b) for b in TITLE_SIZED] + MARKDOWN_TRICKS
    for title, body in zip(titles, bodies):
        _ok(editor.post("/editor/articles/new", {
            "title": title, "body": body, "topics": "parking", "audience": "public", "language": "en",
            "status": "published", "note": title, "version": ""}), 302)
    articles = session.scalars(select(Article).order_by(Article.id)).all()
    assert [a.title for a in articles] == titles

    reader, curator = XssWatch(person()), XssWatch(person())
    curator.person.sign_in("editor@example.org")
    reader.visit("/", shows=PAYLOADS, field="article titles (public home)")
    # The queue shows ten per status on its overview and pages each status by QUEUE_PAGE_SIZE (#14): every
    # title is still looked at on the queue, page by page, oldest first as the articles were written.
    from app.editor.routes import SECTION_SIZE
    from knowledge.catalogue import QUEUE_PAGE_SIZE
    curator.visit("/editor/", shows=PAYLOADS[:SECTION_SIZE], field="article titles (editor queue)")
    for start in range(0, len(PAYLOADS), QUEUE_PAGE_SIZE):
        curator.visit(f"/editor/?status=published&page={start // QUEUE_PAGE_SIZE + 1}",
                      shows=PAYLOADS[start:start + QUEUE_PAGE_SIZE], field="article titles (editor queue, paged)")
    for article, body in zip(articles, bodies):
        field = f"article {article.id}"
        reader.visit(f"/articles/{article.id}", shows=[article.title], field=field)
        curator.visit(f"/editor/articles/{article.id}", shows=[article.title], field=field)
        curator.visit(f"/editor/articles/{article.id}/edit", shows=[article.title, body], field=field)
        curator.visit(f"/editor/articles/{article.id}/revisions/1", shows=[article.title], field=field)
    # The live preview puts the server's sanitised HTML into the page while the editor types.
    curator.page.goto("/editor/articles/new")
    text = curator.page.get_by_label("Text (Markdown)")
    for body in bodies:
        with curator.page.expect_response("**/api/v1/preview") as preview:
            text.fill(body)
        assert preview.value.ok
        curator.page.wait_for_function("html => document.getElementById('preview').innerHTML === html",
                                       arg=preview.value.json()["html"])
        curator.look(where=f"live preview of {body!r}")
    for words in ("window xss", "alert", "javascript script"):  # titles and snippets rendered by live-search.js
        reader.page.goto("/")
        reader.page.get_by_role("combobox", name="Search").press_sequentially(words, delay=10)
        expect(reader.page.locator("#search-results [role=option]").first).to_be_visible()
        reader.look(where=f"public live search for {words!r}")

    reader.assert_clean()
    curator.assert_clean()


def test_search_words_are_echoed_as_text(person, parking):
    """What a customer or agent searched for comes back on the results page and in the question forms."""
    customer, agent = XssWatch(person()), XssWatch(person())
    agent.person.sign_in("agent@example.org")
    for bundle in TITLE_SIZED:
        payload = " ".join(bundle)
        query = {"q": payload}
        customer.page.goto("/")
        box = customer.page.get_by_role("combobox", name="Search")
        box.fill(payload)
        box.press("Enter")
        customer.page.wait_for_url(re.compile(r"/\?q="))
        customer.look(shows=bundle, where=f"search results for {payload!r}")
        customer.page.get_by_role("link", name="Ask us your question →").click()
        customer.page.wait_for_url(re.compile(r"/ask\?q="))
        expect(customer.page.get_by_label("Question")).to_have_value(payload)
        customer.look(shows=bundle, where=f"ask form for {payload!r}")
        agent.page.goto("/frontoffice/questions/new?" + urlencode(query))
        agent.look(shows=bundle, where=f"intake form for {payload!r}")
    customer.assert_clean()
    agent.assert_clean()


def test_people_named_by_the_admin_show_their_names_as_text(app, session, person, parking):
    """The admin's person name, in the people list, the person form, the flash, the colleague list and the header."""
    admin = signed_in_client(app, "admin@example.org")
    names = [" ".join(b) for b in NAME_SIZED]
    for n, name in enumerate(names[1:]):
        _ok(admin.post("/admin/users/new", {"email": f"named{n}@example.org", "name": name, "roles": "expert",
                                            "active": "y", "password": ""}), 302)

    admin_view = XssWatch(person())
    admin_view.person.sign_in("admin@example.org")
    for n, payload in enumerate(NAME_SIZED[0]):  # a few through the browser's own form, to see the flash
        admin_view.page.goto("/admin/users/new")
        admin_view.page.get_by_label("E-mail").fill(f"typed{n}@example.org")
        admin_view.page.get_by_label("Name", exact=True).fill(payload)
        admin_view.page.get_by_label("expert", exact=True).check()
        admin_view.page.get_by_label("Initial password").fill("correct horse battery")
        admin_view.page.get_by_role("button", name="Save").click()
        expect(admin_view.page.locator(".flash-success")).to_contain_text("can now sign in as expert")
        admin_view.look(shows=[payload], where=f"flash for person {payload!r}")
    admin_view.visit("/admin/", shows=PAYLOADS, field="person names (people list)")
    named = session.scalars(select(User).where(User.name.in_(names + NAME_SIZED[0]))).all()
    assert {u.name for u in named} == set(names[1:] + NAME_SIZED[0])
    for user in named:
        admin_view.visit(f"/admin/users/{user.id}", shows=[user.name], field=f"person {user.id}")
    admin_view.visit("/admin/experts", field="person names (expertise map)")

    # The colleagues an expert can forward to, and the candidates an agent sees, are named by the admin.
    agent = signed_in_client(app, "agent@example.org")
    _ok(agent.post("/frontoffice/questions/new", {"text": "Can my visitor park here?", "channel": "phone",
                                                  "priority": "normal", "topic": "parking", "name": "", "email": "",
                                                  "phone": ""}), 302)
    reference = session.scalars(select(Question.reference)).one()
    owner = session.scalars(select(Question)).one().owner
    expert_view, agent_view = XssWatch(person()), XssWatch(person())
    expert_view.person.sign_in(owner.email)
    expert_view.visit(f"/inbox/questions/{reference}", shows=PAYLOADS, field="colleague names")
    agent_view.person.sign_in("agent@example.org")
    agent_view.visit(f"/frontoffice/questions/{reference}", field="candidate names")

    # Someone whose name is a payload signs in and sees their name in the header.
    named_self = XssWatch(person())
    named_self.person.sign_in("typed0@example.org")
    named_self.look(shows=[NAME_SIZED[0][0]], where="own name in the header")

    for watch in (admin_view, expert_view, agent_view, named_self):
        watch.assert_clean()
