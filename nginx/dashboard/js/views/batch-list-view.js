// The tenant's batches, newest first, with filters and live progress (each listing
// carries its batches' counts). The list is polled every 5 s while a batch on it can
// still change, every 30 s otherwise; hidden tabs and Retry-After pause it.
import { query } from "../api.js";
import { h, replace } from "../elements.js";
import { count, time } from "../format.js";
import { isActive } from "../batch-actions.js";
import { PolitePoller } from "../polite-poller.js";
import { progressBar } from "./progress-bar.js";

const STATES = ["accumulating", "created", "running", "paused", "completed", "failed", "cancelled"];

export async function batchListView(main, app) {
  const filters = { status: "", collection: "", created_after: "", created_before: "" };
  const pages = [null]; // cursors of the pages seen, for "Newer"
  let cursor = null;
  let nextCursor = null;

  const state = h("select", { id: "filter-state", name: "status" }, h("option", { value: "" }, "Any state"), STATES.map((s) => h("option", { value: s }, s)));
  const collection = h("input", { id: "filter-collection", name: "collection", type: "text", placeholder: "default", autocomplete: "off" });
  const after = h("input", { id: "filter-after", name: "created_after", type: "date" });
  const before = h("input", { id: "filter-before", name: "created_before", type: "date" });
  const form = h(
    "form",
    {
      class: "filters",
      role: "search",
      onsubmit: (event) => {
        event.preventDefault();
        filters.status = state.value;
        filters.collection = collection.value.trim();
        // Dates are the viewer's days: from the start of one to the end of the other.
        filters.created_after = after.value ? new Date(`${after.value}T00:00:00`).toISOString() : "";
        filters.created_before = before.value ? new Date(`${before.value}T23:59:59.999`).toISOString() : "";
        cursor = null;
        pages.length = 1;
        poller.now();
      },
    },
    h("label", {}, "State ", state),
    h("label", {}, "Collection ", collection),
    h("label", {}, "Created from ", after),
    h("label", {}, "to ", before),
    h("button", { type: "submit", class: "secondary" }, "Filter"),
  );
  const table = h("div", { class: "table-wrap", "aria-live": "polite" }, h("p", { class: "loading", "aria-busy": "true" }, "Loading batches…"));
  const paging = h("div", { class: "paging" });
  replace(main, h("section", {}, h("div", { class: "title-row" }, h("h1", {}, "Batches"), h("a", { class: "button primary", href: "#/new" }, "New batch")), form, table, paging));

  async function load() {
    let body;
    try {
      body = await app.client.get(`/v1/batches${query({ ...filters, limit: 25, after: cursor })}`);
      app.clearError();
    } catch (error) {
      app.showError(error);
      return Math.max(5, error.retryAfter ?? 0);
    }
    nextCursor = body.pagination.next_cursor;
    renderRows(body.data);
    renderPaging();
    return body.data.some((batch) => isActive(batch.status)) ? 5 : 30;
  }

  function renderRows(batches) {
    if (batches.length === 0) {
      const filtered = Object.values(filters).some(Boolean);
      replace(
        table,
        h(
          "div",
          { class: "empty" },
          h("p", {}, filtered ? "No batch matches these filters." : "No batches yet."),
          !filtered && h("a", { class: "button primary", href: "#/new" }, "Create your first batch"),
        ),
      );
      return;
    }
    const rows = batches.map((batch) => {
      const counts = batch.counts ?? {};
      return h(
        "tr",
        { dataset: { batchId: batch.batch_id } },
        h("td", {}, h("a", { href: `#/batches/${batch.batch_id}`, class: "batch-name" }, batch.batch_name || batch.batch_id), h("div", { class: "muted small" }, batch.batch_id)),
        h("td", {}, h("span", { class: `badge ${batch.status}` }, batch.status)),
        h("td", { class: "wide" }, progressBar(counts, batch.total_items)),
        h("td", { class: "number", dataset: { label: "Items" } }, count(batch.total_items)),
        h("td", { dataset: { label: "Collection" } }, batch.collection),
        h("td", { dataset: { label: "Created" } }, time(batch.created_at)),
      );
    });
    replace(
      table,
      h(
        "table",
        { class: "batches" },
        h("thead", {}, h("tr", {}, ["Batch", "State", "Progress", "Items", "Collection", "Created"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows),
      ),
    );
  }

  function renderPaging() {
    replace(
      paging,
      pages.length > 1 &&
        h(
          "button",
          {
            type: "button",
            class: "secondary",
            onclick: () => {
              pages.pop();
              cursor = pages.at(-1);
              poller.now();
            },
          },
          "← Newer",
        ),
      nextCursor &&
        h(
          "button",
          {
            type: "button",
            class: "secondary",
            onclick: () => {
              cursor = nextCursor;
              pages.push(cursor);
              poller.now();
            },
          },
          "Older →",
        ),
    );
  }

  const poller = new PolitePoller(load, { client: app.client }).start();
  app.onLeave(() => poller.stop());
}
