// Live preview of an article's Markdown, rendered and sanitised by the server exactly as on save.
(function () {
  "use strict";
  const body = document.querySelector("textarea[data-preview]");
  const target = document.getElementById("preview");
  if (!body || !target) return;
  const token = document.querySelector("input[name=csrf_token]").value;
  let timer = null;
  let sequence = 0;
  body.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++sequence;
      const response = await fetch(body.dataset.preview, {
        method: "POST", credentials: "same-origin",
        headers: { "X-CSRFToken": token },
        body: new URLSearchParams({ body: body.value }),
      });
      if (response.ok && mine === sequence) target.innerHTML = (await response.json()).html;
    }, 250);
  });
})();
