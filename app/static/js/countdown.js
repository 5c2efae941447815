// A visible countdown to each promise: "in 3 h 20 min", or how long ago it broke.
(function () {
  "use strict";
  // The words come from the page (body data-countdown-texts, base.html), in its language.
  const texts = JSON.parse(document.body.dataset.countdownTexts || "{}");
  const say = (key, values) => (texts[key] || key).replace(/\{(\w+)\}/g, (all, name) => (name in values ? values[name] : all));
  function words(ms) {
    const minutes = Math.round(Math.abs(ms) / 60000);
    const h = Math.floor(minutes / 60), m = minutes % 60;
    const span = (h ? say("hours", { n: h }) + " " : "") + say("minutes", { n: m });
    return say(ms >= 0 ? "in" : "overdue", { span: span });
  }
  function tick() {
    document.querySelectorAll(".countdown[data-due]").forEach((el) => {
      const left = new Date(el.dataset.due) - new Date();
      el.textContent = "(" + words(left) + ")";
      el.classList.toggle("late", left < 0);
    });
  }
  tick();
  setInterval(tick, 30000);
})();
