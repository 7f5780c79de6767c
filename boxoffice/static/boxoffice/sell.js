// The Sell screen: say which seats are chosen and what they come to, on the button too.
// The form works without it (the server checks everything again).
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector(".sell-form");
  if (!form) return;
  const summary = form.querySelector(".sell-summary");
  const button = form.querySelector(".sell-submit");
  const update = () => {
    const chosen = [...form.querySelectorAll('input[name="seat"]:checked')];
    const cents = chosen.reduce((sum, box) => sum + Math.round(parseFloat(box.dataset.price) * 100), 0);
    const total = (cents / 100).toFixed(2);
    summary.textContent = chosen.length
      ? `${chosen.map((box) => box.dataset.label).join(", ")}: ${total}`
      : "Choose seats on the map.";
    button.textContent = chosen.length ? `Sell ${chosen.length} seat${chosen.length > 1 ? "s" : ""} (${total})` : "Sell";
  };
  form.addEventListener("change", update);
  // One submit per drawn form: a double click sends it once (the key makes a second one
  // a replay anyway).
  form.addEventListener("submit", () => { setTimeout(() => { button.disabled = true; }, 0); });
  update();
});
