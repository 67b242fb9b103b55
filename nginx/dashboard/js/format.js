// Times, durations and numbers as people read them: times in the viewer's zone,
// with the UTC value on hover.
import { h } from "./elements.js";

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const number = new Intl.NumberFormat();

/** A <time> in the viewer's zone, the UTC ISO value in its title; "—" for none. */
export function time(iso) {
  if (!iso) return h("span", { class: "muted" }, "—");
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return h("span", {}, iso);
  return h("time", { datetime: date.toISOString(), title: `${date.toISOString().replace(".000Z", "Z")} (UTC)` }, dateTime.format(date));
}

export function count(value) {
  return value === null || value === undefined ? "—" : number.format(value);
}

/** 75 -> "1 min 15 s"; null -> "—". */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  const s = Math.round(seconds);
  const parts = [];
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  if (hours) parts.push(`${hours} h`);
  if (minutes) parts.push(`${minutes} min`);
  if (!hours && s % 60) parts.push(`${s % 60} s`);
  return parts.join(" ") || "0 s";
}

export function bytes(value) {
  if (value === null || value === undefined) return "—";
  const units = ["B", "kB", "MB", "GB", "TB"];
  let n = value;
  let unit = 0;
  while (n >= 1000 && unit < units.length - 1) {
    n /= 1000;
    unit += 1;
  }
  return `${unit ? n.toFixed(1) : n} ${units[unit]}`;
}

export function percent(fraction) {
  return `${(fraction * 100).toFixed(fraction > 0 && fraction < 0.01 ? 2 : 1)}%`;
}
