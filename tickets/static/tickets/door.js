// The door screen (tickets/door.py). A scanner types the code and Enter into the focused
// input; each scan is posted in turn (a fast scanner's next code never overtakes the
// previous answer) and the answer is shown in large type with the time it took.
"use strict";

(function () {
  const pick = document.getElementById("pick");
  const showtime = document.getElementById("showtime");
  if (pick && showtime) {
    showtime.addEventListener("change", function () { pick.submit(); });
  }

  const form = document.getElementById("scan");
  if (!form) return;
  const input = document.getElementById("code");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const answer = document.getElementById("answer");
  const parts = {
    title: document.getElementById("answer-title"),
    reason: document.getElementById("answer-reason"),
    seat: document.getElementById("answer-seat"),
    meta: document.getElementById("answer-meta"),
  };
  let queue = Promise.resolve();
  let shown = 0;

  function show(kind, body, ms) {
    shown += 1;
    answer.className = "answer " + kind;
    parts.title.textContent = body.title;
    parts.reason.textContent = body.reason || "";
    const seat = body.seat ? "Seat " + body.seat + (body.ticket_type ? " · " + body.ticket_type : "") : "";
    parts.seat.textContent = seat;
    parts.meta.textContent = (body.display_code ? body.display_code + " · " : "") + ms + " ms";
    answer.dataset.code = body.code || "";
    answer.dataset.ms = String(ms);
    answer.dataset.scan = String(shown);  // last: tests wait for it
    if (typeof body.inside === "number") {
      document.getElementById("inside").textContent = body.inside;
      document.getElementById("sold").textContent = body.sold;
    }
  }

  async function scan(code) {
    const started = performance.now();
    let kind = "error";
    let body;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ code: code }),
        credentials: "same-origin",
      });
      body = await response.json().catch(function () { return null; });
      if (body && typeof body.admitted === "boolean") {
        kind = body.admitted ? "admit" : "refused";
      } else {
        body = { title: "NO ANSWER", reason: (body && body.detail) || "Error " + response.status + ": scan again", code: (body && body.code) || "error" };
      }
    } catch (error) {
      body = { title: "NO ANSWER", reason: "The server cannot be reached: scan again", code: "network" };
    }
    show(kind, body, Math.round(performance.now() - started));
    input.focus();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const code = input.value.trim();
    input.value = "";  // ready for the next scan at once
    input.focus();
    if (!code) return;
    queue = queue.then(function () { return scan(code); });
  });

  // Whatever was tapped, typing goes back to the input (a scanner is a keyboard).
  document.addEventListener("keydown", function (event) {
    if (document.activeElement !== input && document.activeElement !== showtime &&
        event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
      input.focus();
    }
  });
  input.focus();
})();
