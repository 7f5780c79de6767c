// The Sell screen: say which seats are chosen and what they come to, on the button too.
// The form works without it (the server checks everything again).
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector(".sell-form");
  if (!form) return;
  const summary = form.querySelector(".sell-summary");
  const button = form.querySelector(".sell-submit");
  // The chosen seats, in hall order, take the ticket types asked for first, as the
  // server assigns them; the rest are Adult at the seat's own price.
  const ticketTypes = () => {
    const types = [];
    for (const input of form.querySelectorAll('.sell-type input[type="number"]')) {
      const count = Math.max(0, parseInt(input.value, 10) || 0);
      for (let i = 0; i < count; i += 1) types.push(input);
    }
    return types;
  };
  const update = () => {
    const chosen = [...form.querySelectorAll('input[name="seat"]:checked')];
    const types = ticketTypes();
    const cents = chosen.reduce((sum, box, i) => {
      const kind = types[i];
      const price = kind ? kind.dataset[`price${box.dataset.seatType.charAt(0)}${box.dataset.seatType.slice(1).toLowerCase()}`] : box.dataset.price;
      return sum + Math.round(parseFloat(price ?? box.dataset.price) * 100);
    }, 0);
    const total = (cents / 100).toFixed(2);
    const named = chosen.map((box, i) => (types[i] ? `${box.dataset.label} (${types[i].dataset.name})` : box.dataset.label));
    const voucher = form.querySelector('input[name="voucher"]')?.value.trim();
    summary.textContent = chosen.length
      ? `${named.join(", ")}: ${total}${voucher ? ` before voucher ${voucher.toUpperCase()}` : ""}`
      : "Choose seats on the map.";
    if (types.length > chosen.length) summary.textContent += ` (choose a seat for each of the ${types.length} tickets)`;
    button.textContent = chosen.length ? `Sell ${chosen.length} seat${chosen.length > 1 ? "s" : ""} (${total})` : "Sell";
  };
  form.addEventListener("change", update);
  form.addEventListener("input", update);
  // One submit per drawn form: a double click sends it once (the key makes a second one
  // a replay anyway).
  form.addEventListener("submit", () => { setTimeout(() => { button.disabled = true; }, 0); });
  update();
});
