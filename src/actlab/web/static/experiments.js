// Start a run of the experiment from its page and follow it until it is stored.
(function () {
  "use strict";

  const page = document.getElementById("experiment");
  if (!page) return;
  const name = page.dataset.experiment;
  const status = document.getElementById("run-status");
  const bar = document.getElementById("run-progress");
  const buttons = document.querySelectorAll("button[data-run]");

  function setBusy(busy) {
    for (const button of buttons) button.disabled = busy;
    bar.hidden = !busy;
  }

  async function follow(job) {
    while (job.state === "running") {
      bar.value = job.done;
      status.textContent = `Running: ${job.step}`;
      await new Promise((resolve) => setTimeout(resolve, 400));
      const response = await fetch(`/api/experiments/jobs/${job.id}`);
      job = await response.json();
      if (!response.ok) throw new Error(job.detail || `status ${response.status}`);
    }
    if (job.state === "failed") throw new Error(job.error);
    status.textContent = "Done; loading the result.";
    window.location.assign(`/experiments/${name}?run=${job.run_id}`);
  }

  async function start(quick) {
    setBusy(true);
    status.textContent = "Starting.";
    try {
      const response = await fetch(`/api/experiments/${name}/runs`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ quick }),
      });
      const job = await response.json();
      if (!response.ok) throw new Error(job.detail || `status ${response.status}`);
      await follow(job);
    } catch (error) {
      status.textContent = `The run failed: ${error.message}`;
      setBusy(false);
    }
  }

  for (const button of buttons) {
    button.addEventListener("click", () => start(button.dataset.run === "quick"));
  }
})();
