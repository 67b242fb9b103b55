// Service health: /readyz (the store, SQLite or PostgreSQL, and Redis), the key's
// service facts, and request rate and latency from /metrics, read every 10 s and
// compared with the previous reading. nginx serves /metrics to the machine itself
// only; from elsewhere the page says so.
import { h, replace } from "../elements.js";
import { count, duration, time } from "../format.js";
import { PolitePoller } from "../polite-poller.js";
import { parsePrometheus, quantile, sum } from "../prometheus-text.js";

export async function healthView(main, app) {
  const ready = h("section", { class: "card", "aria-live": "polite" }, h("p", { class: "loading", "aria-busy": "true" }, "Checking…"));
  const traffic = h("section", { class: "card" }, h("h2", {}, "Requests"), h("p", { class: "loading" }, "Reading /metrics…"));
  replace(main, h("section", {}, h("h1", {}, "Health"), ready, traffic));
  let previous = null;

  async function check() {
    const service = app.identity.service;
    try {
      const response = await fetch("/readyz", { cache: "no-store", credentials: "omit" });
      const body = await response.json();
      replace(
        ready,
        h("h2", {}, "Readiness ", h("span", { class: `badge ${body.status === "ready" ? "completed" : "failed"}`, id: "ready-state" }, body.status)),
        h(
          "dl",
          { class: "figures" },
          Object.entries(body.checks ?? {}).map(([name, state]) =>
            h("div", { class: "figure" }, h("dt", {}, name === "sqlite" ? `Store (${service.store ?? "sqlite"})` : name), h("dd", {}, h("span", { class: `badge ${state === "up" ? "completed" : "failed"}` }, state))),
          ),
          h("div", { class: "figure" }, h("dt", {}, "Version"), h("dd", {}, body.version ?? service.version)),
          h("div", { class: "figure" }, h("dt", {}, "API"), h("dd", {}, service.api_version)),
        ),
        nodesTable(body.nodes),
      );
    } catch (error) {
      replace(ready, h("h2", {}, "Readiness"), h("p", { class: "error-text" }, `batchd could not be reached: ${error.message}`));
    }
    await readMetrics();
    return 10;
  }

  function nodesTable(nodes) {
    if (!nodes) return h("p", { class: "muted" }, "Nodes: unknown while Redis is down.");
    if (nodes.length === 0) return h("p", { class: "muted" }, "No node has announced itself yet (every 5 s).");
    return [
      h("h3", {}, `Nodes (${nodes.length})`),
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "nodes" },
          h("thead", {}, h("tr", {}, ["Node", "Version", "Started", "Last heard"].map((t) => h("th", { scope: "col" }, t)))),
          h(
            "tbody",
            {},
            nodes.map((node) => h("tr", {}, h("td", {}, h("code", {}, node.name)), h("td", {}, node.version), h("td", {}, time(node.started_at)), h("td", {}, `${node.last_seen_seconds.toFixed(1)} s ago`))),
          ),
        ),
      ),
    ];
  }

  async function readMetrics() {
    let text;
    try {
      const response = await fetch("/metrics", { cache: "no-store", credentials: "omit" });
      if (!response.ok) {
        replace(traffic, h("h2", {}, "Requests"), h("p", { class: "empty" }, `/metrics answered ${response.status}: nginx serves it to this machine only.`));
        return;
      }
      text = await response.text();
    } catch (error) {
      replace(traffic, h("h2", {}, "Requests"), h("p", { class: "empty" }, `/metrics could not be read: ${error.message}`));
      return;
    }
    const now = { at: Date.now(), samples: parsePrometheus(text) };
    const classes = ["2xx", "4xx", "5xx"].map((c) => [c, sum(now.samples, "batchd_requests_total", (l) => l.class === c)]);
    const rows = [h("div", { class: "figure" }, h("dt", {}, "Requests so far"), h("dd", {}, count(sum(now.samples, "batchd_requests_total"))))];
    for (const [name, value] of classes) rows.push(h("div", { class: "figure" }, h("dt", {}, name), h("dd", {}, count(value))));
    if (previous) {
      const seconds = (now.at - previous.at) / 1000;
      const requests = sum(now.samples, "batchd_requests_total") - sum(previous.samples, "batchd_requests_total");
      const observed = sum(now.samples, "batchd_request_duration_seconds_count") - sum(previous.samples, "batchd_request_duration_seconds_count");
      const spent = sum(now.samples, "batchd_request_duration_seconds_sum") - sum(previous.samples, "batchd_request_duration_seconds_sum");
      const p50 = quantile(previous.samples, now.samples, "batchd_request_duration_seconds", 0.5);
      const p99 = quantile(previous.samples, now.samples, "batchd_request_duration_seconds", 0.99);
      rows.push(
        h("div", { class: "figure" }, h("dt", {}, "Rate"), h("dd", { id: "request-rate" }, `${(requests / seconds).toFixed(1)} req/s`)),
        h("div", { class: "figure" }, h("dt", {}, "Mean latency"), h("dd", {}, observed > 0 ? duration(spent / observed) : "—")),
        h("div", { class: "figure" }, h("dt", {}, "p50 ≤"), h("dd", {}, p50 === null ? "—" : duration(p50))),
        h("div", { class: "figure" }, h("dt", {}, "p99 ≤"), h("dd", {}, p99 === null ? "—" : duration(p99))),
      );
    }
    replace(
      traffic,
      h("h2", {}, "Requests"),
      h("dl", { class: "figures" }, rows),
      h("p", { class: "muted small" }, previous ? "Over the last reading (every 10 s); one node's figures when several serve." : "Rate and latency appear with the next reading."),
    );
    previous = now;
  }

  const poller = new PolitePoller(check, { client: app.client }).start();
  app.onLeave(() => poller.stop());
}
