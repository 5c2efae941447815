// Live preview of an article's Markdown, rendered and sanitised by the server exactly as on save.
(function () {
  "use strict";
  const body = document.querySelector("textarea[data-preview]");
  const target = document.getElementById("preview");
  if (!body || !target) return;
  let timer = null;
  let sequence = 0;
  body.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++sequence;
      const response = await fetch(body.dataset.preview, {
        method: "POST", credentials: "same-origin",
        body: new URLSearchParams({ body: body.value }),
      });
      if (response.ok && mine === sequence) target.innerHTML = (await response.json()).html;
    }, 250);
  });
})();
