// hashwatch web interface: keyboard shortcuts and upload progress. Every
// page works without this script; it only saves keystrokes and shows
// progress.
"use strict";

function typing(target) {
  return target.closest("input, textarea, select, [contenteditable]") !== null;
}

// Buttons and links with data-key="x" are pressed by the key x.
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
  const key = event.key;
  const target = document.querySelector(`[data-key="${CSS.escape(key)}"]`);
  if (target) {
    event.preventDefault();
    target.click();
    return;
  }
  // j / k move through a list's rows; Enter opens the selected one.
  const rows = Array.from(document.querySelectorAll("tr[data-href]"));
  if (rows.length === 0) return;
  let at = rows.findIndex((r) => r.classList.contains("selected"));
  if (key === "j" || key === "k") {
    event.preventDefault();
    if (at >= 0) rows[at].classList.remove("selected");
    at = key === "j" ? Math.min(at + 1, rows.length - 1) : Math.max(at - 1, 0);
    rows[at].classList.add("selected");
    rows[at].querySelector("a")?.focus();
  }
});

// A form with data-progress sends its file with a progress bar, then
// shows the page the server answered with.
for (const form of document.querySelectorAll("form[data-progress]")) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const bar = document.getElementById(form.dataset.progress);
    const status = document.getElementById(form.dataset.progress + "-status");
    const request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      bar.max = e.total;
      bar.value = e.loaded;
      status.textContent = `Sent ${Math.round((100 * e.loaded) / e.total)} %`;
    });
    request.upload.addEventListener("load", () => {
      status.textContent = "Sent; the server is checking and importing the list…";
      bar.removeAttribute("value");
    });
    request.addEventListener("load", () => {
      document.open();
      document.write(request.responseText);
      document.close();
      if (request.responseURL) history.replaceState(null, "", request.responseURL);
    });
    request.addEventListener("error", () => {
      status.textContent = "The upload failed; check the connection and try again.";
    });
    bar.hidden = false;
    request.send(new FormData(form));
  });
}
