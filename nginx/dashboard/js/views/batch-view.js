// One batch: counts per state, rate and ETA, a throughput chart while it runs,
// errors by type with their resolutions, its items paged through the results API,
// a download of the results stream, and the actions its state allows now.
//
// The status document is polled politely: the next request waits the document's
// cache_remaining (a sooner one would be answered from the same cache entry), and
// longer for a Retry-After; nothing is polled while the tab is hidden.
import { query } from "../api.js";
import { h, replace } from "../elements.js";
import { count, duration, time } from "../format.js";
import { allowedActions, isActive } from "../batch-actions.js";
import { PolitePoller } from "../polite-poller.js";
import { ThroughputChart } from "../throughput-chart.js";
import { progressBar } from "./progress-bar.js";

const PAGE_SIZE = 20;

export async function batchView(main, app, batchId) {
  const chart = new ThroughputChart();
  let page = 1;
  let lastFinished = null;
  let doc = null;

  const heading = h("div", { class: "title-row" }, h("h1", {}, "Batch"));
  const summary = h("section", { class: "card", "aria-live": "polite" }, h("p", { class: "loading", "aria-busy": "true" }, "Loading status…"));
  const actions = h("div", { class: "actions", role: "group", "aria-label": "Actions" });
  const throughput = h("section", { class: "card" });
  const errors = h("section", { class: "card" });
  const items = h("section", { class: "card" }, h("h2", {}, "Items"), h("p", { class: "loading", "aria-busy": "true" }, "Loading items…"));
  const cacheNote = h("p", { class: "muted small", id: "cache-note" });
  replace(main, h("div", { class: "batch" }, heading, actions, summary, throughput, errors, items, cacheNote));

  async function loadStatus() {
    let body;
    try {
      body = await app.client.get(`/v1/batches/${batchId}`);
      app.clearError();
    } catch (error) {
      app.showError(error);
      if (error.status === 404) {
        replace(summary, h("div", { class: "empty" }, h("p", {}, "This batch does not exist (or was deleted)."), h("a", { href: "#/batches" }, "Back to batches")));
        return null;
      }
      return Math.max(5, error.retryAfter ?? 0);
    }
    doc = body.data;
    const remaining = body.metadata?.cache_remaining ?? 0;
    const finished = (doc.progress.completed ?? 0) + (doc.progress.failed ?? 0);
    const rate = isActive(doc.status) ? chart.record(Date.now(), finished) : null;
    render(doc, rate, remaining, body.metadata);
    if (finished !== lastFinished) {
      lastFinished = finished;
      await loadItems();
    }
    // A finished batch changes only when someone acts on it: poll it rarely.
    return isActive(doc.status) ? Math.max(remaining, 1) : Math.max(remaining, 60);
  }

  function render(doc, rate, remaining, metadata) {
    const p = doc.progress;
    const other = Math.max(0, p.total - p.completed - p.failed - p.pending - p.processing);
    const counts = { succeeded: p.completed, failed: p.failed, processing: p.processing, pending: p.pending, cancelled: other };
    replace(
      heading,
      h("div", {}, h("h1", { class: "batch-name" }, doc.batch_name || doc.batch_id), h("div", { class: "muted small" }, doc.batch_id)),
      h("span", { class: `badge ${doc.status}`, id: "batch-state" }, doc.status),
    );
    const left = p.pending + p.processing;
    const eta = rate && rate > 0 && left > 0 ? left / rate : null;
    replace(
      summary,
      h("h2", {}, "Progress"),
      progressBar(counts, p.total),
      h(
        "dl",
        { class: "figures" },
        figure("Succeeded", count(p.completed), "succeeded"),
        figure("Failed", count(p.failed), "failed"),
        figure("Processing", count(p.processing), "processing"),
        figure("Pending", count(p.pending), "pending"),
        other > 0 && figure("Cancelled or expired", count(other), "cancelled"),
        figure("Total", count(p.total)),
        figure("Rate", rate === null ? "—" : `${rate.toFixed(1)} items/s`),
        figure("ETA", eta === null ? (doc.timing?.estimated_completion ? time(doc.timing.estimated_completion) : "—") : duration(eta)),
        figure("Created", time(doc.timing?.created_at)),
        figure("Started", time(doc.timing?.started_at)),
        figure("Finished", time(doc.timing?.completed_at)),
        figure("Average item", duration(doc.timing?.average_item_time)),
      ),
    );
    renderActions(doc, counts);
    const svg = isActive(doc.status) ? chart.render() : null;
    replace(
      throughput,
      h("h2", {}, "Throughput"),
      svg ?? h("p", { class: "empty" }, isActive(doc.status) ? "The chart starts with the next update." : "The batch is not running."),
    );
    renderErrors(doc.error_summary ?? []);
    replace(
      cacheNote,
      `Status cached for ${metadata?.cache_ttl ?? 0} s; next update in ${Math.max(remaining, 1)} s`,
      isActive(doc.status) ? "." : " (the batch is finished: updates slow down).",
    );
  }

  function figure(label, value, tone) {
    return h("div", { class: `figure ${tone ?? ""}` }, h("dt", {}, label), h("dd", {}, value));
  }

  function renderActions(doc, counts) {
    const buttons = allowedActions(doc.status, { failed: counts.failed, expired: 0 }).map((spec) =>
      h("button", { type: "button", class: spec.style, dataset: { action: spec.action }, onclick: () => act(spec) }, spec.label),
    );
    replace(
      actions,
      buttons,
      h("button", { type: "button", class: "secondary", id: "download", onclick: () => download("jsonl") }, "Download results (JSONL)"),
      h("button", { type: "button", class: "secondary", id: "download-csv", onclick: () => download("csv") }, "CSV"),
    );
  }

  async function act(spec) {
    if (!(await app.confirm(spec.confirm, spec.label))) return;
    try {
      if (spec.action === "delete") {
        await app.client.request("DELETE", `/v1/batches/${batchId}`);
        app.go("/batches");
        return;
      }
      await app.client.request("PUT", `/v1/batches/${batchId}/state`, { body: { action: spec.action } });
      app.clearError();
    } catch (error) {
      app.showError(error);
    }
    poller.now();
  }

  async function download(format) {
    const button = document.getElementById(format === "csv" ? "download-csv" : "download");
    button.disabled = true;
    try {
      const response = await app.client.request("GET", `/v1/batches/${batchId}/results.${format}`, { raw: true, headers: { Accept: "*/*" } });
      const blob = await response.blob();
      const link = h("a", { href: URL.createObjectURL(blob), download: `${batchId}.${format}` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
    } catch (error) {
      app.showError(error);
    } finally {
      button.disabled = false;
    }
  }

  function renderErrors(summaries) {
    if (summaries.length === 0) {
      replace(errors, h("h2", {}, "Errors"), h("p", { class: "empty" }, "No errors."));
      return;
    }
    replace(
      errors,
      h("h2", {}, "Errors"),
      h(
        "ul",
        { class: "errors" },
        summaries.map((e) =>
          h(
            "li",
            {},
            h("div", {}, h("strong", {}, e.error_type), ` × ${count(e.count)}`),
            e.resolution && h("p", { class: "resolution" }, e.resolution),
            e.affected_files?.length > 0 && h("p", { class: "muted small" }, `Affected: ${e.affected_files.join(", ")}`),
          ),
        ),
      ),
    );
  }

  async function loadItems() {
    let body;
    try {
      body = await app.client.get(`/v1/batches/${batchId}/results${query({ page, page_size: PAGE_SIZE })}`);
    } catch (error) {
      app.showError(error);
      return;
    }
    const { job_results: jobs, pagination } = body.data;
    const pager = h(
      "div",
      { class: "paging" },
      h("button", { type: "button", class: "secondary", disabled: page <= 1, onclick: () => turn(-1) }, "← Previous"),
      h("span", {}, `Page ${pagination.page} of ${Math.max(pagination.total_pages, 1)}`),
      h("button", { type: "button", class: "secondary", disabled: page >= pagination.total_pages, onclick: () => turn(1) }, "Next →"),
    );
    if (jobs.length === 0) {
      replace(items, h("h2", {}, "Items"), h("p", { class: "empty" }, "No items on this page."), pager);
      return;
    }
    replace(
      items,
      h("h2", {}, "Items"),
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "items" },
          h("thead", {}, h("tr", {}, ["Item", "Name", "State", "Finished", "Error"].map((t) => h("th", { scope: "col" }, t)))),
          h(
            "tbody",
            {},
            jobs.map((job) =>
              h(
                "tr",
                {},
                h("td", {}, h("code", {}, job.job_id)),
                h("td", {}, job.filename ?? "—"),
                h("td", {}, h("span", { class: `badge ${job.status}` }, job.status)),
                h("td", {}, time(job.processing_info?.completed_at)),
                h("td", { class: "error-text" }, job.error ? `${job.error.code}: ${job.error.message}` : ""),
              ),
            ),
          ),
        ),
      ),
      pager,
    );
  }

  async function turn(step) {
    page = Math.max(1, page + step);
    await loadItems();
  }

  const poller = new PolitePoller(loadStatus, { client: app.client }).start();
  app.onLeave(() => poller.stop());
}
