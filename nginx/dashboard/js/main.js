// The dashboard's shell: who is signed in (a key kept in sessionStorage for this tab
// only), the navigation, the route from the URL's fragment to a view, errors, and the
// confirmation dialog every destructive action goes through.
import { ApiClient, ApiError } from "./api.js";
import { h, replace } from "./elements.js";
import { loginView } from "./views/login-view.js";
import { batchListView } from "./views/batch-list-view.js";
import { batchView } from "./views/batch-view.js";
import { batchCreateView } from "./views/batch-create-view.js";
import { tenantsView } from "./views/tenants-view.js";
import { cacheView } from "./views/cache-view.js";
import { healthView } from "./views/health-view.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const notice = document.getElementById("notice");
const headroomBox = document.getElementById("headroom");

/** What every view gets: the client, who it is, and the shell's services. */
const app = {
  client: null,
  identity: null, // data of GET /v1/status
  cleanup: [],
  showError,
  clearError,
  confirm: confirmAction,
  go(path) {
    location.hash = `#${path}`;
  },
  onLeave(fn) {
    this.cleanup.push(fn);
  },
  signOut() {
    ApiClient.forget();
    app.client = null;
    app.identity = null;
    location.hash = "#/login";
    route();
  },
  async signIn(key) {
    const client = new ApiClient(key);
    const status = await client.get("/v1/status");
    client.remember();
    app.client = client;
    app.identity = status.data;
    watchHeadroom();
  },
  isOperator() {
    return app.identity?.key?.role === "operator";
  },
  isAdmin() {
    return ["admin", "operator"].includes(app.identity?.key?.role);
  },
};

const routes = [
  [/^\/login$/, () => loginView],
  [/^\/batches$/, () => batchListView],
  [/^\/new$/, () => batchCreateView],
  [/^\/batches\/(batch-[a-z0-9]+)$/, () => batchView],
  [/^\/admin\/tenants$/, () => tenantsView],
  [/^\/admin\/cache$/, () => cacheView],
  [/^\/admin\/health$/, () => healthView],
];

async function route() {
  for (const fn of app.cleanup.splice(0)) fn();
  clearError();
  const path = location.hash.replace(/^#/, "") || "/batches";
  if (!app.client && path !== "/login") {
    const saved = ApiClient.fromSession();
    if (saved) {
      try {
        await app.signIn(saved.key);
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) ApiClient.forget();
        else showError(error);
      }
    }
    if (!app.client) {
      app.returnTo = path;
      location.replace("#/login");
      return;
    }
  }
  renderNav(path);
  for (const [pattern, view] of routes) {
    const match = pattern.exec(path);
    if (!match) continue;
    replace(main, h("p", { class: "loading", "aria-busy": "true" }, "Loading…"));
    try {
      await view()(main, app, ...match.slice(1));
    } catch (error) {
      showError(error);
      replace(main, h("p", { class: "empty" }, "This page could not be shown."));
    }
    main.focus({ preventScroll: true });
    return;
  }
  replace(main, h("section", {}, h("h1", {}, "Not found"), h("p", {}, "There is no page here. "), h("a", { href: "#/batches" }, "Go to batches")));
}

function renderNav(path) {
  if (!app.client) {
    replace(nav);
    replace(headroomBox);
    return;
  }
  const link = (href, label) => h("a", { href: `#${href}`, "aria-current": path.startsWith(href) ? "page" : false }, label);
  const who = app.identity ? `${app.identity.tenant.name} · ${app.identity.key.role}` : "";
  replace(
    nav,
    link("/batches", "Batches"),
    link("/new", "New batch"),
    app.isAdmin() && link("/admin/tenants", "Tenants"),
    app.isOperator() && link("/admin/cache", "Cache"),
    link("/admin/health", "Health"),
    h("span", { class: "who", title: "Signed in as" }, who),
    h("button", { type: "button", class: "link", onclick: () => app.signOut() }, "Sign out"),
  );
}

let stopWatching = null;
function watchHeadroom() {
  stopWatching?.();
  stopWatching = app.client.onHeadroom((headroom) => {
    // Remaining counts down from the burst; the limit is what a window refills.
    const policy = app.identity?.rate_limit;
    const most = Math.max(policy?.burst ?? headroom.limit, headroom.remaining, 1);
    const fraction = headroom.remaining / most;
    const window = policy ? ` (${policy.limit} per ${policy.window_seconds} s)` : "";
    replace(
      headroomBox,
      h("span", { class: "label" }, "Rate limit"),
      h("meter", { min: 0, max: most, low: most * 0.2, high: most * 0.5, optimum: most, value: headroom.remaining, "aria-label": "Requests left now" }),
      h(
        "span",
        { id: "headroom-text", title: headroom.reset ? `Full again at ${new Date(headroom.reset * 1000).toISOString()}${window}` : window },
        `${headroom.remaining} of ${most} left`,
      ),
    );
    headroomBox.classList.toggle("low", fraction < 0.2);
  });
}

/** Shows an error with batchd's message, code and request id (or any other error). */
function showError(error) {
  const api = error instanceof ApiError;
  const children = [h("strong", {}, api ? `${error.status || "Network"} ${error.code}` : "Error"), " ", h("span", { class: "message" }, error.message)];
  if (api && error.retryAfter !== null) children.push(h("span", {}, ` Retrying after ${error.retryAfter} s.`));
  if (api && error.details?.allowed_actions) children.push(h("span", {}, ` Allowed now: ${error.details.allowed_actions.join(", ") || "none"}.`));
  if (api && error.requestId) children.push(h("span", { class: "request-id" }, " Request id: ", h("code", {}, error.requestId)));
  children.push(h("button", { type: "button", class: "link dismiss", "aria-label": "Dismiss", onclick: clearError }, "×"));
  replace(notice, h("div", { class: "error" }, children));
}

function clearError() {
  replace(notice);
}

const dialog = document.getElementById("confirm");
/** Resolves true when the user confirms. */
function confirmAction(text, okLabel = "Yes") {
  return new Promise((resolve) => {
    document.getElementById("confirm-text").textContent = text;
    document.getElementById("confirm-ok").textContent = okLabel;
    dialog.returnValue = "";
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
  });
}

window.addEventListener("hashchange", route);
route();
