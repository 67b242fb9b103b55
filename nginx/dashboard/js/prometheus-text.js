// Reads Prometheus' text format (batchd's /metrics) into samples, and the figures
// the health page shows from two readings.

/** [{name, labels: {..}, value}] of every sample line; comments and junk skipped. */
export function parsePrometheus(text) {
  const samples = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels = {};
    for (const pair of (match[3] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2];
    const value = Number(match[4]);
    if (Number.isFinite(value) || match[4] === "+Inf") samples.push({ name: match[1], labels, value });
  }
  return samples;
}

export function sum(samples, name, filter = () => true) {
  return samples.filter((s) => s.name === name && filter(s.labels)).reduce((total, s) => total + s.value, 0);
}

/** The smallest bucket bound holding `q` of the observations between two readings. */
export function quantile(before, after, name, q) {
  const buckets = new Map();
  for (const s of after.filter((s) => s.name === `${name}_bucket`)) buckets.set(s.labels.le, s.value);
  for (const s of before.filter((s) => s.name === `${name}_bucket`)) buckets.set(s.labels.le, (buckets.get(s.labels.le) ?? 0) - s.value);
  const ordered = [...buckets.entries()]
    .map(([le, n]) => [le === "+Inf" ? Infinity : Number(le), n])
    .sort((a, b) => a[0] - b[0]);
  const total = ordered.at(-1)?.[1] ?? 0;
  if (total <= 0) return null;
  for (const [bound, n] of ordered) if (n >= q * total) return bound;
  return null;
}
