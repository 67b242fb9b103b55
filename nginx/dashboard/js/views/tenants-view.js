// Tenants, their limits and quotas (operators edit them), and their keys: create
// (the secret is shown once, here, and never again) and revoke. A tenant's own
// admin key sees its tenant only, read-only but for its keys.
import { h, replace } from "../elements.js";
import { time } from "../format.js";

const LIMITS = [
  ["rate_limit", "limit", "Requests a window"],
  ["rate_limit", "window_seconds", "Window (s)"],
  ["rate_limit", "burst", "Burst"],
  ["rate_limit", "write_limit", "Writes a window"],
  ["quota", "max_batches", "Max batches"],
  ["quota", "max_items", "Max items"],
  ["quota", "max_bytes", "Max bytes"],
];

export async function tenantsView(main, app) {
  const list = h("div", { class: "tenants", "aria-live": "polite" }, h("p", { class: "loading", "aria-busy": "true" }, "Loading tenants…"));
  const createTenant = app.isOperator()
    ? h(
        "form",
        {
          class: "inline-form",
          onsubmit: async (event) => {
            event.preventDefault();
            const input = event.target.elements.name;
            try {
              await app.client.request("POST", "/v1/admin/tenants", { body: { name: input.value.trim() } });
              input.value = "";
              await load();
            } catch (error) {
              app.showError(error);
            }
          },
        },
        h("label", { for: "new-tenant" }, "New tenant"),
        h("input", { id: "new-tenant", name: "name", required: true, autocomplete: "off" }),
        h("button", { type: "submit", class: "secondary" }, "Create tenant"),
      )
    : null;
  replace(main, h("section", {}, h("h1", {}, "Tenants"), createTenant, list));

  async function load() {
    try {
      const tenants = app.isOperator()
        ? (await app.client.get("/v1/admin/tenants")).data
        : [(await app.client.get(`/v1/admin/tenants/${app.identity.tenant.id}`)).data];
      if (tenants.length === 0) {
        replace(list, h("p", { class: "empty" }, "No tenants."));
        return;
      }
      replace(list, tenants.map(tenantCard));
      app.clearError();
    } catch (error) {
      app.showError(error);
      replace(list, h("p", { class: "empty" }, "Tenants could not be loaded."));
    }
  }

  function tenantCard(tenant) {
    const editable = app.isOperator();
    const inputs = LIMITS.map(([group, field, label]) => {
      const id = `${tenant.tenant_id}-${field}`;
      const value = tenant[group]?.[field];
      return h(
        "div",
        {},
        h("label", { for: id }, label),
        h("input", { id, type: "number", min: 0, name: `${group}.${field}`, value: value ?? "", placeholder: value === null ? "none" : "", disabled: !editable }),
      );
    });
    const form = h(
      "form",
      {
        class: "limits",
        onsubmit: async (event) => {
          event.preventDefault();
          const body = { rate_limit: {}, quota: {} };
          for (const [group, field] of LIMITS) {
            const raw = event.target.elements[`${group}.${field}`].value.trim();
            const nullable = field === "write_limit" || group === "quota";
            if (raw === "" && !nullable) continue;
            body[group][field] = raw === "" ? null : Number(raw);
          }
          try {
            await app.client.request("PATCH", `/v1/admin/tenants/${tenant.tenant_id}`, { body });
            status.textContent = "Saved.";
            app.clearError();
          } catch (error) {
            app.showError(error);
          }
        },
      },
      h("div", { class: "fields" }, inputs),
      editable && h("button", { type: "submit", class: "secondary" }, "Save limits"),
    );
    const status = h("span", { class: "muted", role: "status" });
    const keys = h("div", { class: "keys" }, h("p", { class: "loading" }, "Loading keys…"));
    loadKeys(tenant, keys);
    return h(
      "article",
      { class: "card tenant", dataset: { tenantId: tenant.tenant_id } },
      h("h2", {}, tenant.name, " ", h("span", { class: "muted small" }, tenant.tenant_id)),
      h("p", { class: "muted small" }, "Created ", time(tenant.created_at)),
      form,
      status,
      h("h3", {}, "Keys"),
      keys,
    );
  }

  async function loadKeys(tenant, box) {
    let keys;
    try {
      keys = (await app.client.get(`/v1/admin/tenants/${tenant.tenant_id}/keys`)).data;
    } catch (error) {
      replace(box, h("p", { class: "empty" }, `Keys could not be loaded: ${error.message}`));
      return;
    }
    const roles = app.isOperator() ? ["client", "admin", "operator"] : ["client", "admin"];
    const created = h("div", { class: "created-key", "aria-live": "polite" });
    const form = h(
      "form",
      {
        class: "inline-form",
        onsubmit: async (event) => {
          event.preventDefault();
          const elements = event.target.elements;
          try {
            const body = (await app.client.request("POST", `/v1/admin/tenants/${tenant.tenant_id}/keys`, { body: { role: elements.role.value, name: elements.name.value.trim() || undefined } })).data;
            await loadKeys(tenant, box);
            const secret = body.key ?? body.api_key ?? "";
            box.querySelector(".created-key")?.replaceChildren(
              h("p", {}, "New key (copy it now: it is never shown again): "),
              h("code", { class: "secret", id: `secret-${tenant.tenant_id}` }, secret),
            );
          } catch (error) {
            app.showError(error);
          }
        },
      },
      h("label", { for: `role-${tenant.tenant_id}` }, "Role"),
      h("select", { id: `role-${tenant.tenant_id}`, name: "role" }, roles.map((r) => h("option", { value: r }, r))),
      h("label", { for: `keyname-${tenant.tenant_id}` }, "Name"),
      h("input", { id: `keyname-${tenant.tenant_id}`, name: "name", autocomplete: "off" }),
      h("button", { type: "submit", class: "secondary" }, "Create key"),
    );
    const rows = keys.map((key) =>
      h(
        "tr",
        { dataset: { keyId: key.key_id } },
        h("td", {}, h("code", {}, `${key.prefix}…`)),
        h("td", {}, key.name ?? "—"),
        h("td", {}, key.role),
        h("td", {}, time(key.created_at)),
        h("td", {}, key.revoked_at ? h("span", { class: "badge failed" }, "revoked") : h("span", { class: "badge completed" }, "active")),
        h(
          "td",
          {},
          !key.revoked_at &&
            key.key_id !== app.identity.key.id &&
            h(
              "button",
              {
                type: "button",
                class: "danger small",
                dataset: { revoke: key.key_id },
                onclick: async () => {
                  if (!(await app.confirm(`Revoke the key ${key.prefix}… (${key.name ?? key.role})? Requests with it fail within 2 seconds.`, "Revoke"))) return;
                  try {
                    await app.client.request("DELETE", `/v1/admin/tenants/${tenant.tenant_id}/keys/${key.key_id}`);
                    await loadKeys(tenant, box);
                  } catch (error) {
                    app.showError(error);
                  }
                },
              },
              "Revoke",
            ),
        ),
      ),
    );
    replace(
      box,
      h(
        "div",
        { class: "table-wrap" },
        h("table", {}, h("thead", {}, h("tr", {}, ["Key", "Name", "Role", "Created", "State", ""].map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, rows)),
      ),
      form,
      created,
    );
  }

  await load();
}
