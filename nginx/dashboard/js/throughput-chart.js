// Items finished per second while a batch runs, as an inline SVG line (no chart
// library: nothing is fetched from outside this server).
import { svg } from "./elements.js";

export class ThroughputChart {
  constructor(maxPoints = 60) {
    this.maxPoints = maxPoints;
    this.samples = []; // {at: ms, finished: count}
  }

  /** Records the finished count seen at a time; returns items/s since the last sample. */
  record(at, finished) {
    const last = this.samples.at(-1);
    this.samples.push({ at, finished });
    if (this.samples.length > this.maxPoints + 1) this.samples.shift();
    if (!last || at <= last.at) return null;
    return Math.max(0, (finished - last.finished) / ((at - last.at) / 1000));
  }

  rates() {
    const rates = [];
    for (let i = 1; i < this.samples.length; i += 1) {
      const [a, b] = [this.samples[i - 1], this.samples[i]];
      if (b.at > a.at) rates.push({ at: b.at, rate: Math.max(0, (b.finished - a.finished) / ((b.at - a.at) / 1000)) });
    }
    return rates;
  }

  /** The chart, or null before two samples. */
  render() {
    const rates = this.rates();
    if (rates.length < 1) return null;
    const width = 600;
    const height = 120;
    const top = Math.max(...rates.map((r) => r.rate), 1);
    const start = rates[0].at;
    const span = Math.max(rates.at(-1).at - start, 1);
    const y = (rate) => height - (rate / top) * (height - 10);
    const points = rates.map((r) => [((r.at - start) / span) * width, y(r.rate)]);
    // One reading: a level line across the chart.
    if (points.length === 1) points.unshift([0, points[0][1]]);
    const line = points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" ");
    const label = `Throughput: up to ${top.toFixed(1)} items/s over the last ${Math.round((rates.at(-1).at - this.samples[0].at) / 1000)} s`;
    return svg(
      "svg",
      { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": label, preserveAspectRatio: "none" },
      svg("title", {}, document.createTextNode(label)),
      svg("polyline", { points: line, fill: "none", class: "chart-line", "vector-effect": "non-scaling-stroke" }),
    );
  }
}
