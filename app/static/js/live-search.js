// Search as you type. Debounced; an older response never overwrites a newer one; arrow keys move
// through the results and Enter opens one. Works on any form marked data-live-search.
// While a request is in flight the box says so (data-searching, aria-busy). Each request names the
// search it refines (`continues`, the previous answer's search_id), so the search log keeps one row
// per search a person made, not one per keystroke; clearing the box starts a new one.
(function () {
  "use strict";
  const DEBOUNCE_MS = 120;

  function attach(form) {
    const input = form.querySelector("input[type=search]");
    const list = document.getElementById(form.dataset.results);
    const status = document.getElementById(form.dataset.status);
    const endpoint = form.dataset.endpoint;
    const role = form.dataset.as || "";
    // The words come from the page (data-texts), in its language: _live_search.html.
    const texts = JSON.parse(form.dataset.texts || "{}");
    const say = (key, values) => (texts[key] || key).replace(/\{(\w+)\}/g, (all, name) => (name in (values || {}) ? values[name] : all));
    let timer = null;
    let sequence = 0;
    let inFlight = false;
    let pending = null;                          // words typed while a request was in flight
    let active = -1;
    let lastSearchId = null;                     // the log row this typing session writes to
    const settle = form.querySelector("input[name=continues]");

    function searching(busy) {
      form.classList.toggle("searching", busy);
      list.setAttribute("aria-busy", busy ? "true" : "false");
      if (busy) status.textContent = form.dataset.searching || "";
    }

    function newSession() {
      lastSearchId = null;
      if (settle) { settle.value = ""; settle.disabled = true; }
    }

    function items() { return Array.from(list.querySelectorAll("[role=option]")); }

    function highlight(index) {
      const all = items();
      if (!all.length) { active = -1; return; }
      active = (index + all.length) % all.length;
      all.forEach((el, i) => el.setAttribute("aria-selected", i === active ? "true" : "false"));
      all[active].scrollIntoView({ block: "nearest" });
      input.setAttribute("aria-activedescendant", all[active].id);
    }

    // "Answered with this": records the call as answered at first contact with this article.
    function answerButton(hit, query) {
      const post = document.createElement("form");
      post.method = "post";
      post.action = form.dataset.answerAction;
      post.className = "inline answer-with";
      for (const [name, value] of [["csrf_token", form.dataset.csrf], ["article_id", hit.id], ["text", query], ["channel", "phone"], ["priority", "normal"]]) {
        const field = document.createElement("input");
        field.type = "hidden"; field.name = name; field.value = value;
        post.append(field);
      }
      const button = document.createElement("button");
      button.type = "submit";
      button.textContent = say("answered_with");
      post.append(button);
      return post;
    }

    function render(payload, query) {
      list.replaceChildren();
      active = -1;
      payload.results.forEach((hit, i) => {
        const li = document.createElement("li");
        li.id = "hit-" + i;
        li.setAttribute("role", "option");
        li.className = "hit hit-" + hit.kind;
        const link = document.createElement("a");
        link.href = hit.url;
        link.textContent = hit.title;           // titles are text, never markup
        const kind = document.createElement("span");
        kind.className = "kind";
        kind.textContent = say(hit.kind === "question" ? "previously_answered" : "article");
        const snippet = document.createElement("p");
        snippet.className = "snippet";
        snippet.innerHTML = hit.snippet;         // escaped by the server; only <mark> is markup
        li.append(kind, link, snippet);
        if (form.dataset.answerAction && hit.kind === "article") li.append(answerButton(hit, query));
        if (hit.review_overdue) {
          const flag = document.createElement("span");
          flag.className = "flag";
          flag.textContent = say("overdue");
          li.append(flag);
        }
        // A press anywhere on the hit opens it, except on its own link, form or button.
        li.addEventListener("mousedown", (e) => {
          if (e.button === 0 && !e.target.closest("a, form, button")) window.location = hit.url;
        });
        list.append(li);
      });
      status.textContent = payload.results.length
        ? say(payload.results.length === 1 ? "result" : "results", { num: payload.results.length, ms: Math.round(payload.took_ms) })
        : say("nothing", { query: query });
      const takeIn = document.getElementById("take-in");
      if (takeIn) takeIn.href = takeIn.dataset.base + "?" + new URLSearchParams({ q: query });
    }

    // One request in flight at a time: keys typed meanwhile wait (only the newest words are kept) and
    // go out when it answers, naming its search_id. An aborted request would still have written a
    // log row whose id the box never learns, a second row for the same search.
    async function run(query) {
      if (inFlight) { pending = query; return; }
      inFlight = true;
      const mine = ++sequence;
      const params = new URLSearchParams({ q: query, limit: "10" });
      if (role) params.set("as", role);
      if (lastSearchId) params.set("continues", lastSearchId);
      searching(true);
      try {
        const response = await fetch(endpoint + "?" + params, {
          headers: { Accept: "application/json" }, credentials: "same-origin",
        });
        const payload = await response.json();
        if (mine !== sequence) return;           // the box was cleared meanwhile: a new search
        if (payload.search_id) {
          lastSearchId = payload.search_id;
          if (settle) { settle.value = String(payload.search_id); settle.disabled = false; }
        }
        if (pending !== null) return;            // newer words are waiting: show their answer instead
        searching(false);
        if (!response.ok) { status.textContent = payload.message || say("failed"); return; }
        render(payload, query);
      } catch (error) {
        if (mine === sequence && pending === null) {
          searching(false);
          status.textContent = say("unavailable");
        }
      } finally {
        inFlight = false;
        if (pending !== null) { const next = pending; pending = null; run(next); }
      }
    }

    input.addEventListener("input", () => {
      clearTimeout(timer);
      const query = input.value.trim();
      if (!query) { sequence++; pending = null; searching(false); newSession(); list.replaceChildren(); status.textContent = ""; return; }
      timer = setTimeout(() => run(query), DEBOUNCE_MS);
    });

    input.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
      else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        window.location = items()[active].querySelector("a").href;
      } else if (event.key === "Escape") {
        input.value = ""; sequence++; pending = null; searching(false); newSession(); list.replaceChildren(); status.textContent = "";
      }
    });

    form.addEventListener("submit", (event) => {
      if (form.dataset.submit !== "page") event.preventDefault();
      else if (active >= 0) { event.preventDefault(); window.location = items()[active].querySelector("a").href; }
    });
  }

  document.querySelectorAll("form[data-live-search]").forEach(attach);
})();
