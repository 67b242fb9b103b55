// The JSON API as the dashboard uses it: the key in a header (never in a URL),
// batchd's error envelope turned into ApiError, and one gate for every request so
// that after a 429 or 503 nothing is sent before its Retry-After has passed.

const KEY_NAME = "batchd.key";

/** An error answer from batchd or nginx, as its envelope describes it. */
export class ApiError extends Error {
  constructor(status, code, message, requestId, details = {}, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.details = details;
    this.retryAfter = retryAfter;
  }

  static async from(response) {
    const requestId = response.headers.get("X-Request-Id");
    const retryAfter = retryAfterSeconds(response);
    let body = null;
    try {
      body = await response.json();
    } catch {
      // Not JSON (a proxy in front of nginx, say): the status line is all there is.
    }
    const envelope = body?.error ?? body ?? {};
    return new ApiError(
      response.status,
      envelope.code ?? `http_${response.status}`,
      envelope.message ?? `${response.status} ${response.statusText || "error"}`,
      body?.request_id ?? requestId,
      envelope.details ?? {},
      retryAfter,
    );
  }
}

function retryAfterSeconds(response) {
  const value = response.headers.get("Retry-After");
  if (value === null) return null;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : null;
}

/** The rate-limit figures of the latest answer (X-RateLimit-*). */
export class Headroom {
  constructor(limit, remaining, reset) {
    this.limit = limit;
    this.remaining = remaining;
    this.reset = reset;
  }

  static from(headers) {
    const limit = Number(headers.get("X-RateLimit-Limit"));
    const remaining = Number(headers.get("X-RateLimit-Remaining"));
    if (!headers.has("X-RateLimit-Limit") || !Number.isFinite(limit) || !Number.isFinite(remaining)) return null;
    return new Headroom(limit, remaining, Number(headers.get("X-RateLimit-Reset")) || null);
  }
}

export class ApiClient {
  constructor(key) {
    this.key = key;
    /** Epoch ms before which no request is sent (a Retry-After in force). */
    this.pausedUntil = 0;
    this.headroomListeners = new Set();
  }

  static fromSession() {
    const key = sessionStorage.getItem(KEY_NAME);
    return key ? new ApiClient(key) : null;
  }

  remember() {
    sessionStorage.setItem(KEY_NAME, this.key);
  }

  static forget() {
    sessionStorage.removeItem(KEY_NAME);
  }

  onHeadroom(listener) {
    this.headroomListeners.add(listener);
    return () => this.headroomListeners.delete(listener);
  }

  /** Seconds until requests may be sent again (0 when they may now). */
  waitSeconds() {
    return Math.max(0, (this.pausedUntil - Date.now()) / 1000);
  }

  /**
   * Sends one request after any Retry-After in force; resolves to the parsed JSON
   * body (or the Response with `raw: true`), rejects with ApiError for an answer
   * that is not 2xx. `body`: an object (sent as JSON), or a Blob/FormData/string
   * sent as it is with `contentType`.
   */
  async request(method, path, { body, contentType, raw = false, headers = {} } = {}) {
    const wait = this.pausedUntil - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const init = {
      method,
      headers: { "X-Api-Key": this.key, Accept: "application/json", ...headers },
      cache: "no-store",
      credentials: "omit",
      referrerPolicy: "no-referrer",
    };
    if (body !== undefined) {
      if (body instanceof FormData) {
        init.body = body;
      } else if (body instanceof Blob || typeof body === "string") {
        init.body = body;
        if (contentType) init.headers["Content-Type"] = contentType;
      } else {
        init.body = JSON.stringify(body);
        init.headers["Content-Type"] = "application/json";
      }
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (error) {
      throw new ApiError(0, "network_error", `batchd could not be reached (${error.message})`, null);
    }
    const headroom = Headroom.from(response.headers);
    if (headroom) for (const listener of this.headroomListeners) listener(headroom);
    if (response.status === 429 || response.status === 503) {
      const seconds = retryAfterSeconds(response) ?? 1;
      this.pausedUntil = Math.max(this.pausedUntil, Date.now() + seconds * 1000);
    }
    if (!response.ok) throw await ApiError.from(response);
    return raw ? response : response.json();
  }

  get(path, options) {
    return this.request("GET", path, options);
  }
}

/** A query string from an object, leaving out empty values. */
export function query(parameters) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) {
    if (value === null || value === undefined || value === "") continue;
    search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}
