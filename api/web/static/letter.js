// The letter's print button (no inline script: the pages' Content-Security-Policy allows only files of this site).
document.getElementById("print-letter")?.addEventListener("click", () => window.print());
