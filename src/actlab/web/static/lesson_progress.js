// The "Mark this section done" buttons of the lesson pages.
(function () {
  "use strict";

  async function markDone(button) {
    const message = button.parentElement.querySelector(".mark-done-message");
    const { lesson, section } = button.dataset;
    button.disabled = true;
    try {
      const result = await window.actlab.sendAction(
        `/api/lessons/${encodeURIComponent(lesson)}/sections/${encodeURIComponent(section)}/done`,
        {},
        { onWait: (text) => (message.textContent = text) },
      );
      button.textContent = "Done ✓";
      message.textContent = `${result.sections_done} of ${result.sections_total} sections done`;
    } catch (error) {
      message.textContent = error.message;
      button.disabled = false;
    }
  }

  for (const button of document.querySelectorAll("button.mark-done")) {
    button.addEventListener("click", () => markDone(button));
  }
})();
