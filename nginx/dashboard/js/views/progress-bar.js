// A batch's items per state as one stacked bar, with the figures as text for
// screen readers and narrow screens.
import { h } from "../elements.js";

const ORDER = [
  ["succeeded", "Succeeded"],
  ["failed", "Failed"],
  ["cancelled", "Cancelled"],
  ["expired", "Expired"],
  ["processing", "Processing"],
  ["pending", "Pending"],
];

/** counts: {succeeded, failed, cancelled, expired, processing, pending}; total items. */
export function progressBar(counts, total) {
  const finished = (counts.succeeded ?? 0) + (counts.failed ?? 0) + (counts.cancelled ?? 0) + (counts.expired ?? 0);
  const share = total > 0 ? finished / total : 0;
  const label = `${finished} of ${total} finished (${Math.round(share * 100)}%)`;
  const segments = ORDER.filter(([key]) => (counts[key] ?? 0) > 0).map(([key, name]) =>
    h("span", { class: `segment ${key}`, title: `${name}: ${counts[key]}`, dataset: { share: String(Math.round(((counts[key] ?? 0) / Math.max(total, 1)) * 1000)) } }),
  );
  const bar = h("div", { class: "progress", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": total, "aria-valuenow": finished, "aria-label": label }, segments);
  // Widths as CSS properties set from script (allowed by the CSP; inline style attributes are not).
  for (const segment of segments) segment.style.setProperty("width", `${Number(segment.dataset.share) / 10}%`);
  return h("div", { class: "progress-wrap" }, bar, h("span", { class: "progress-label" }, label));
}

export const STATE_NAMES = ORDER;
