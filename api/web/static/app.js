// Small enhancements only; every rule is also enforced by the server.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Record form: the points input takes the chosen violation's band (e.g. 5–8), and the chosen type's source
  // (rendered by the server into data-source) is shown next to the band hint.
  const violation = document.getElementById("f-violation_code");
  const points = document.getElementById("f-points");
  const hint = document.getElementById("band-hint");
  const source = document.getElementById("source-hint");
  if (violation && points && hint) {
    const applyBand = () => {
      const option = violation.selectedOptions[0];
      if (!option) return;
      points.min = option.dataset.low;
      points.max = option.dataset.high;
      hint.textContent = hint.dataset.template.replace("{low}", option.dataset.low).replace("{high}", option.dataset.high);
      if (source) source.textContent = option.dataset.source || "";
    };
    violation.addEventListener("change", applyBand);
    applyBand();
  }
  // Review form: new points only when the outcome is "change".
  const outcomes = document.querySelectorAll("input[name=outcome]");
  const newPoints = document.querySelector("#review-form #f-points");
  if (outcomes.length && newPoints) {
    const sync = () => {
      const chosen = document.querySelector("input[name=outcome]:checked");
      newPoints.disabled = !chosen || chosen.value !== "change";
      newPoints.required = !newPoints.disabled;
    };
    outcomes.forEach((o) => o.addEventListener("change", sync));
    sync();
  }
  // The "saved" message is shown once: a reload does not repeat it.
  if (document.getElementById("flash") && location.search.includes("done=")) {
    history.replaceState(null, "", location.pathname);
  }
  // A form is sent once: the button is disabled after the first click (the server also ignores repeats).
  document.querySelectorAll("form[method=post]").forEach((form) => {
    form.addEventListener("submit", () => {
      form.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    });
  });
});
// Evidence files (objection form): too many or too large files are refused before the form is sent.
document.addEventListener("DOMContentLoaded", () => {
  const files = document.getElementById("f-evidence");
  if (!files) return;
  files.addEventListener("change", () => {
    const tooMany = files.files.length > Number(files.dataset.maxFiles);
    const tooLarge = Array.from(files.files).some((f) => f.size > Number(files.dataset.maxBytes));
    files.setCustomValidity(tooMany ? files.dataset.tooMany : tooLarge ? files.dataset.tooLarge : "");
    files.reportValidity();
  });
});
