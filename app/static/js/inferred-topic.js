// While the agent notes the question: the topic inferred from the text ("Lijkt op: …"), pre-selected
// until the agent chooses one; the form sends the inferred topic along, so a correction is recorded.
(function () {
  const form = document.getElementById("intake");
  if (!form) return;
  const text = form.querySelector("[name=text]"), topic = form.querySelector("[name=topic]");
  const inferred = form.querySelector("[name=inferred_topic]"), label = document.getElementById("inferred-topic");
  let touched = false;
  topic.addEventListener("change", () => { touched = true; });
  text.addEventListener("change", async () => {
    if (!text.value.trim()) return;
    const response = await fetch(form.dataset.preview, {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json"}, body: JSON.stringify({text: text.value, limit: 1})});
    const body = response.ok ? await response.json() : null;
    if (!body || !body.topic || !body.topic.inferred || !body.topic.slug) return;
    inferred.value = body.topic.slug;
    label.textContent = body.topic.label;
    if (!touched) topic.value = body.topic.slug;
  });
})();
