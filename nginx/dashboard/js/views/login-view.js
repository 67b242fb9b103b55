// Signing in: the key is checked with GET /v1/status and kept in this tab's
// sessionStorage (gone when the tab closes; never in a URL, a cookie or a log).
import { h, replace } from "../elements.js";

export async function loginView(main, app) {
  const input = h("input", { id: "key", name: "key", type: "password", autocomplete: "off", required: true, spellcheck: "false", placeholder: "bd_…" });
  const button = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h(
    "form",
    {
      class: "card narrow",
      onsubmit: async (event) => {
        event.preventDefault();
        button.disabled = true;
        try {
          await app.signIn(input.value.trim());
          const next = app.returnTo && app.returnTo !== "/login" ? app.returnTo : "/batches";
          app.returnTo = null;
          app.go(next);
        } catch (error) {
          app.showError(error);
          input.focus();
        } finally {
          button.disabled = false;
        }
      },
    },
    h("h1", {}, "Sign in"),
    h("p", {}, "Use an API key: a client key shows its tenant's batches; an admin or operator key adds the admin pages."),
    h("label", { for: "key" }, "API key"),
    input,
    button,
  );
  replace(main, form);
  input.focus();
}
