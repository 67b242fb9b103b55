// The status cache: TTLs per kind of document and batch state (edit), its hit ratio,
// entries and memory, and a flush. A TTL change is used by every node within a
// second and flushes the entries it affects.
import { h, replace } from "../elements.js";
import { bytes, count, percent } from "../format.js";

export async function cacheView(main, app) {
  const figures = h("section", { class: "card", "aria-live": "polite" }, h("p", { class: "loading", "aria-busy": "true" }, "Loading…"));
  const ttls = h("section", { class: "card" });
  replace(main, h("section", {}, h("h1", {}, "Status cache"), figures, ttls));

  async function load() {
    let data;
    try {
      data = (await app.client.get("/v1/admin/cache")).data;
    } catch (error) {
      app.showError(error);
      replace(figures, h("p", { class: "empty" }, "The cache settings could not be loaded."));
      return;
    }
    const s = data.statistics;
    replace(
      figures,
      h("h2", {}, "Figures"),
      h(
        "dl",
        { class: "figures" },
        h("div", { class: "figure" }, h("dt", {}, "Redis"), h("dd", {}, h("span", { class: `badge ${s.redis === "up" ? "completed" : "failed"}` }, s.redis))),
        h("div", { class: "figure" }, h("dt", {}, "Hit ratio"), h("dd", { id: "hit-ratio" }, percent(s.hit_ratio ?? 0))),
        h("div", { class: "figure" }, h("dt", {}, "Hits"), h("dd", {}, count(s.hits))),
        h("div", { class: "figure" }, h("dt", {}, "Misses"), h("dd", {}, count(s.misses))),
        h("div", { class: "figure" }, h("dt", {}, "Entries"), h("dd", { id: "entries" }, count(s.entries))),
        h("div", { class: "figure" }, h("dt", {}, "Memory"), h("dd", {}, bytes(s.memory_used_bytes))),
      ),
      h(
        "button",
        {
          type: "button",
          class: "danger",
          id: "flush",
          onclick: async () => {
            if (!(await app.confirm("Flush every cached status document? The next read of each batch goes to the store.", "Flush"))) return;
            try {
              await app.client.request("DELETE", "/v1/admin/cache");
              await load();
            } catch (error) {
              app.showError(error);
            }
          },
        },
        "Flush the cache",
      ),
    );
    renderTTLs(data);
  }

  function renderTTLs(data) {
    const kinds = Object.keys(data.defaults);
    const states = Object.keys(data.defaults[kinds[0]] ?? {});
    const inputs = [];
    const table = h(
      "table",
      { class: "ttls" },
      h("caption", {}, `Seconds a document stays cached, by kind and batch state (0 = not cached, at most ${data.max_ttl})`),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Kind"), states.map((s) => h("th", { scope: "col" }, s)))),
      h(
        "tbody",
        {},
        kinds.map((kind) =>
          h(
            "tr",
            {},
            h("th", { scope: "row" }, kind),
            states.map((state) => {
              const input = h("input", {
                type: "number",
                min: 0,
                max: data.max_ttl,
                value: data.defaults[kind][state],
                name: `${kind}.${state}`,
                id: `ttl-${kind}-${state}`,
                "aria-label": `${kind} ${state} TTL in seconds`,
                dataset: { original: String(data.defaults[kind][state]) },
              });
              inputs.push([kind, state, input]);
              return h("td", {}, input);
            }),
          ),
        ),
      ),
    );
    const saved = h("span", { class: "muted", role: "status" });
    replace(
      ttls,
      h("h2", {}, "TTLs"),
      h(
        "form",
        {
          onsubmit: async (event) => {
            event.preventDefault();
            const ttl = {};
            for (const [kind, state, input] of inputs) {
              if (input.value === input.dataset.original) continue;
              ttl[kind] ??= {};
              ttl[kind][state] = Number(input.value);
            }
            if (Object.keys(ttl).length === 0) {
              saved.textContent = "Nothing changed.";
              return;
            }
            try {
              await app.client.request("PUT", "/v1/admin/cache", { body: { ttl } });
              app.clearError();
              await load();
              saved.textContent = "Saved.";
            } catch (error) {
              app.showError(error);
            }
          },
        },
        h("div", { class: "table-wrap" }, table),
        h("button", { type: "submit", class: "primary", id: "save-ttls" }, "Save TTLs"),
        " ",
        saved,
      ),
      Object.keys(data.tenant_overrides ?? {}).length > 0 &&
        h("p", { class: "muted small" }, `Tenants with their own TTLs: ${Object.keys(data.tenant_overrides).join(", ")}`),
    );
  }

  await load();
}
