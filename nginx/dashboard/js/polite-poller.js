// Repeats a task the way a good API client polls: the task says how long to wait
// (a status document's cache_remaining: nothing new can come sooner), a Retry-After
// in force waits longer, and nothing runs while the tab is hidden.

export class PolitePoller {
  /**
   * task: async () => seconds until the next run (or null to stop). A task that
   * throws is retried after `errorSeconds` (or the client's Retry-After if longer).
   */
  constructor(task, { client, minSeconds = 1, errorSeconds = 5 } = {}) {
    this.task = task;
    this.client = client;
    this.minSeconds = minSeconds;
    this.errorSeconds = errorSeconds;
    this.timer = null;
    this.running = false;
    this.stopped = true;
    this.dueAt = 0;
    this.onVisibility = () => {
      if (document.hidden) {
        this.clearTimer();
      } else if (!this.stopped && !this.running) {
        this.schedule(Math.max(0, (this.dueAt - Date.now()) / 1000));
      }
    };
  }

  start() {
    this.stopped = false;
    document.addEventListener("visibilitychange", this.onVisibility);
    this.schedule(0);
    return this;
  }

  stop() {
    this.stopped = true;
    this.clearTimer();
    document.removeEventListener("visibilitychange", this.onVisibility);
  }

  /** Runs the task now (after a change the user made), keeping the schedule. */
  now() {
    if (!this.stopped && !this.running) this.schedule(0);
  }

  clearTimer() {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  schedule(seconds) {
    this.clearTimer();
    this.dueAt = Date.now() + seconds * 1000;
    if (this.stopped || document.hidden) return;
    this.timer = setTimeout(() => this.run(), seconds * 1000);
  }

  async run() {
    this.timer = null;
    if (this.stopped || document.hidden) return;
    this.running = true;
    let next;
    try {
      next = await this.task();
    } catch {
      next = this.errorSeconds;
    }
    this.running = false;
    if (next === null || next === undefined || this.stopped) return;
    const retry = this.client ? this.client.waitSeconds() : 0;
    this.schedule(Math.max(next, this.minSeconds, retry));
  }
}
