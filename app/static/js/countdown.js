// A visible countdown to each promise: "in 3 h 20 min", or how long ago it broke.
(function () {
  "use strict";
  function words(ms) {
    const minutes = Math.round(Math.abs(ms) / 60000);
    const h = Math.floor(minutes / 60), m = minutes % 60;
    const span = (h ? h + " h " : "") + m + " min";
    return ms >= 0 ? "in " + span : span + " overdue";
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
