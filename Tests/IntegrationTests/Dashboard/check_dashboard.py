"""The dashboard in a real browser: Debian's chromium, headless, driven by Selenium
through Debian's chromedriver (nothing downloads a browser). Run by DashboardTests
against a live stack; prints each check and ends with "N checks, M failures".

Environment: BATCHD_URL, BATCHD_ADMIN_KEY (operator), BATCHD_ACCESS_LOG (nginx's
access log), BATCHD_SCREENSHOTS (a folder for the screenshots), BATCHD_DOWNLOADS
(a folder for downloads), CHROMIUM, CHROMEDRIVER.
"""

import json
import os
import re
import sys
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

URL = os.environ["BATCHD_URL"]
OPERATOR = os.environ["BATCHD_ADMIN_KEY"]
ACCESS_LOG = os.environ["BATCHD_ACCESS_LOG"]
SHOTS = os.environ["BATCHD_SCREENSHOTS"]
DOWNLOADS = os.environ["BATCHD_DOWNLOADS"]
DASHBOARD = URL + "/dashboard/"
XSS_NAME = "<img src=x onerror=alert(1)>"

checks = 0
failures = []


def check(condition, what):
    global checks
    checks += 1
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)
    return condition


# --- the API, for setting the scene and checking what the pages did -------------------


def api(method, path, key, body=None, content_type="application/json"):
    data = None
    headers = {"X-Api-Key": key}
    if body is not None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        headers["Content-Type"] = content_type
    request = urllib.request.Request(URL + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def make_tenant(name, limits=None):
    status, body = api("POST", "/v1/admin/tenants", OPERATOR, {"name": name, **({"rate_limit": limits} if limits else {})})
    assert status == 201, (status, body)
    tenant = body["data"]["tenant_id"]
    status, body = api("POST", f"/v1/admin/tenants/{tenant}/keys", OPERATOR, {"role": "client", "name": f"{name} web"})
    assert status == 201, (status, body)
    return tenant, body["data"]["key"]


def make_batch(key, name, processor, items, max_concurrent=2):
    status, body = api(
        "POST", "/v1/batches", key,
        {"batch_name": name, "processor": processor, "items": [{"content": f"item {i}"} for i in range(items)], "configuration": {"max_concurrent": max_concurrent}},
    )
    assert status == 201, (status, body)
    return body["data"]["batch_id"]


def batch_status(key, batch_id):
    return api("GET", f"/v1/batches/{batch_id}?metrics_only=true", key)[1]["data"]


def wait_until(what, condition, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    return check(False, f"in time: {what}")


# --- nginx's access log ----------------------------------------------------------------


def log_lines():
    """(start s, end s, method, path, status, retry_after, max_age) of each request."""
    lines = []
    with open(ACCESS_LOG, errors="replace") as f:
        for line in f:
            m = re.search(r'"(\S+) (\S+) HTTP/[\d.]+" (\d+) .* rt=([\d.]+) .* ra=(\S+) ms=([\d.]+) ma=(\S+)', line)
            if not m:
                continue
            end = float(m.group(6))
            ra = float(m.group(5)) if m.group(5) not in ("-", "") else None
            ma = float(m.group(7)) if m.group(7) not in ("-", "") else None
            lines.append((end - float(m.group(4)), end, m.group(1), m.group(2), int(m.group(3)), ra, ma))
    return lines


def wait_for_log_flush():
    # The access log is buffered (flush=1s).
    time.sleep(1.5)


# --- the browser ------------------------------------------------------------------------


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1440,1000", "--no-first-run", "--disable-extensions"]:
        options.add_argument(argument)
    # A profile under the test's folder: deploy/test stops a browser a crashed run left.
    options.add_argument("--user-data-dir=" + os.path.join(os.path.dirname(DOWNLOADS), "chrome-profile"))
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option("prefs", {"download.default_directory": DOWNLOADS, "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": DOWNLOADS})
    return driver


def console_errors(driver, allow=()):
    """SEVERE console entries since the last call, but those matching `allow`."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE" and not any(a in e["message"] for a in allow)]


def wait_for(driver, what, condition, seconds=15):
    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.2).until(lambda d: condition(d))
    except TimeoutException:
        check(False, f"in time: {what}")
        return None


def text(driver, css):
    """The rendered text of the first element matching css, or None (read in the
    page in one step: the views replace their elements as they update)."""
    return driver.execute_script("const e = document.querySelector(arguments[0]); return e ? e.innerText : null;", css)


def texts(driver, css, attribute=None):
    """The rendered text (or an attribute) of every element matching css, read in one step."""
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map(e => arguments[1] ? e.getAttribute(arguments[1]) : e.innerText);", css, attribute
    )


def shoot(driver, name):
    """The page at 390 px and at 1440 px wide, whole height."""
    for width in (390, 1440):
        driver.set_window_size(width, 1000)
        time.sleep(0.3)
        for _ in range(2):  # a taller window can wrap differently: measure again
            height = driver.execute_script("return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)")
            driver.set_window_size(width, min(max(height + 120, 700), 4000))
            time.sleep(0.3)
        path = os.path.join(SHOTS, f"{name}-{width}.png")
        driver.save_screenshot(path)
        print(f"     screenshot {path}", flush=True)
    driver.set_window_size(1440, 1000)


def sign_in(driver, key, refused=False):
    driver.get(DASHBOARD + "#/login")
    field = wait_for(driver, "the key field", lambda d: d.find_elements(By.ID, "key"))
    if not field:
        return
    field[0].clear()
    field[0].send_keys(key)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    if not refused:
        wait_for(driver, "signed in", lambda d: d.find_elements(By.CSS_SELECTOR, "nav .who"))


def confirm(driver):
    button = wait_for(driver, "the confirmation dialog", lambda d: [b for b in d.find_elements(By.ID, "confirm-ok") if b.is_displayed()])
    if button:
        button[0].click()


def click_action(driver, action):
    button = wait_for(driver, f"the {action} button", lambda d: d.find_elements(By.CSS_SELECTOR, f'.actions button[data-action="{action}"]'))
    if button:
        button[0].click()
        confirm(driver)


def badge(driver):
    return text(driver, "#batch-state")


def main():
    os.makedirs(SHOTS, exist_ok=True)
    os.makedirs(DOWNLOADS, exist_ok=True)
    web_tenant, web_key = make_tenant("web")
    # Status documents of running batches cached 2 s, so progress shows quickly and
    # the pages' waits can be read in the access log.
    status, _ = api("PUT", "/v1/admin/cache", OPERATOR, {"ttl": {"status": {"running": 2, "created": 2, "paused": 2}}})
    check(status == 200, "the test set the running TTL to 2 s")

    done = make_batch(web_key, XSS_NAME, "noop", 30, max_concurrent=5)
    wait_until("the noop batch completed", lambda: batch_status(web_key, done)["status"] == "completed")
    failing = make_batch(web_key, "Failing", "exec:fail", 3, max_concurrent=3)
    wait_until("the failing batch completed", lambda: batch_status(web_key, failing)["status"] == "completed")
    # Items of 0.25 s, two at a time: a few minutes, so they run while the pages look.
    slow = make_batch(web_key, "Slow run", "exec:slow", 1000, max_concurrent=2)
    other = make_batch(web_key, "To cancel", "exec:slow", 1000, max_concurrent=1)

    driver = browser()
    try:
        for part in (lambda: run_tenant_pages(driver, web_key, slow, other, done, failing), lambda: run_polling_checks(driver, web_key, slow),
                     lambda: run_admin_pages(driver, web_tenant), lambda: run_retry_after(driver)):
            try:
                part()
            except Exception as error:  # one part failing does not hide the others' results
                check(False, f"a part of the test raised {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")
    finally:
        driver.quit()

    wait_for_log_flush()
    with open(ACCESS_LOG, errors="replace") as f:
        logged = f.read()
    check(web_key not in logged and OPERATOR not in logged, "no key appears in nginx's access log (none in any URL)")
    print(f"dashboard: {checks} checks, {len(failures)} failures")
    for failure in failures:
        print(f"  failed: {failure}")


def run_tenant_pages(driver, key, slow, other, done, failing):
    with urllib.request.urlopen(DASHBOARD, timeout=10) as response:
        policy = response.headers.get("Content-Security-Policy", "")
        frames = response.headers.get("X-Frame-Options")
        page = response.read().decode()
    check("script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy and frames == "DENY",
          f"the dashboard is served with a strict CSP and no framing ({policy!r})")
    check(re.search(r"<script(?![^>]*\bsrc=)", page) is None and " style=" not in page, "the page has no inline script or style")
    driver.get(DASHBOARD)
    wait_for(driver, "the login page", lambda d: d.find_elements(By.ID, "key"))
    check(driver.current_url.endswith("#/login"), "without a key the dashboard asks for one")
    shoot(driver, "login")
    check(console_errors(driver) == [], "no console errors on the login page")

    # A wrong key: the API's error with its request id.
    sign_in(driver, "bd_" + "a" * 32, refused=True)
    error = wait_for(driver, "the error banner", lambda d: d.find_elements(By.CSS_SELECTOR, "#notice .error"))
    banner = text(driver, "#notice .error") or ""
    check("401" in banner and re.search(r"Request id: [0-9a-f]{32}", banner) is not None, f"a refused key shows the status, message and request id ({banner!r})")
    console_errors(driver, allow=("401",))

    sign_in(driver, key)
    check(driver.execute_script("return sessionStorage.getItem('batchd.key')") == key, "the key is kept in sessionStorage")
    check(key not in driver.current_url, "the key is not in the URL")

    # The list: every batch, the hostile name as text, progress bars.
    rows = wait_for(driver, "the batch list", lambda d: d.find_elements(By.CSS_SELECTOR, "table.batches tbody tr"))
    check(rows is not None and len(rows) == 4, "the list shows the tenant's four batches")
    names = texts(driver, "table.batches a.batch-name")
    check(XSS_NAME in names, "a batch named <img src=x onerror=alert(1)> shows its name as text in the list")
    check(driver.find_elements(By.CSS_SELECTOR, "main img") == [], "no <img> element was made from the name")
    check(len(driver.find_elements(By.CSS_SELECTOR, "table.batches [role=progressbar]")) == 4, "each batch has a progress bar")
    shoot(driver, "batches")

    # Filters: completed only.
    driver.find_element(By.CSS_SELECTOR, "#filter-state option[value=completed]").click()
    driver.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    wait_for(driver, "the filtered list", lambda d: len(d.find_elements(By.CSS_SELECTOR, "table.batches tbody tr")) == 2)
    check(texts(driver, "table.batches tbody tr", "data-batch-id") == [failing, done], "the state filter keeps the completed batches only")

    # Errors by type with their resolution, each item's error, and Retry failed offered.
    driver.get(DASHBOARD + f"#/batches/{failing}")
    wait_for(driver, "the failing batch's errors", lambda d: d.find_elements(By.CSS_SELECTOR, "ul.errors li"))
    errors = text(driver, "ul.errors") or ""
    check("processing_error × 3" in errors and bool(driver.find_elements(By.CSS_SELECTOR, "ul.errors .resolution")), f"errors by type with their resolution ({errors!r})")
    wait_for(driver, "the failed items", lambda d: "processing_error" in (text(d, "table.items") or ""))
    check(texts(driver, ".actions button[data-action]", "data-action") == ["retry_failed", "delete"], "a completed batch with failures offers Retry failed and Delete")
    shoot(driver, "batch-errors")
    check(console_errors(driver) == [], "no console errors on the batch list")

    # The hostile name on its own page, and the download of its results.
    driver.get(DASHBOARD + f"#/batches/{done}")
    wait_for(driver, "the finished batch's page", lambda d: badge(d) == "completed")
    check(text(driver, "h1.batch-name") == XSS_NAME, "the batch page shows the hostile name as text")
    try:
        driver.switch_to.alert
        check(False, "no alert ran from the batch name")
    except NoAlertPresentException:
        check(True, "no alert ran from the batch name")
    wait_for(driver, "the items table", lambda d: d.find_elements(By.CSS_SELECTOR, "table.items tbody tr"))
    check(len(driver.find_elements(By.CSS_SELECTOR, "table.items tbody tr")) == 20, "the items table shows a page of 20 items")
    driver.find_element(By.XPATH, "//section[.//table[contains(@class,'items')]]//button[contains(., 'Next')]").click()
    wait_for(driver, "the second page of items", lambda d: "Page 2 of 2" in (text(d, "section:has(table.items) .paging") or ""))
    check(len(driver.find_elements(By.CSS_SELECTOR, "table.items tbody tr")) == 10, "the second page shows the other 10 items")
    shoot(driver, "batch-finished")
    driver.find_element(By.ID, "download").click()
    path = os.path.join(DOWNLOADS, f"{done}.jsonl")
    wait_until("the results download", lambda: os.path.exists(path) and not os.path.exists(path + ".crdownload"))
    if os.path.exists(path):
        lines = [json.loads(line) for line in open(path) if line.strip()]
        check(len(lines) == 30 and all(line["status"] == "succeeded" for line in lines), "the downloaded results.jsonl holds the 30 items")
    check(console_errors(driver) == [], "no console errors on the finished batch's page")

    # A running batch: progress moves, pause, resume.
    driver.get(DASHBOARD + f"#/batches/{slow}")
    wait_for(driver, "the running batch", lambda d: badge(d) == "running")
    first = text(driver, ".progress-label")
    moved = wait_for(driver, "the progress to move", lambda d: text(d, ".progress-label") not in (None, first) and text(d, ".progress-label"), seconds=20)
    check(bool(moved), f"the running batch's progress moved ({first!r} -> {moved!r})")
    wait_for(driver, "the throughput chart", lambda d: d.find_elements(By.CSS_SELECTOR, "svg.chart polyline"))
    check(bool(driver.find_elements(By.CSS_SELECTOR, "svg.chart")), "the throughput chart is drawn while it runs")
    hover = driver.execute_script("const t = document.querySelector('main time'); return t ? [t.innerText, t.title] : null;")
    check(bool(hover) and hover[1].endswith("Z (UTC)") and hover[0] != hover[1], f"times show in the viewer's zone with UTC on hover ({hover})")
    # Keyboard: Tab from the top of the page reaches the Pause button.
    driver.execute_script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);")
    reached = False
    for _ in range(40):
        driver.switch_to.active_element.send_keys(Keys.TAB)
        if driver.execute_script("return document.activeElement?.dataset?.action === 'pause'"):
            reached = True
            break
    check(reached, "the Pause button is reachable with the keyboard")
    shoot(driver, "batch-running")
    click_action(driver, "pause")
    wait_for(driver, "the paused state", lambda d: badge(d) == "paused")
    check(batch_status(key, slow)["status"] == "paused", "Pause paused the batch")
    check(bool(driver.find_elements(By.CSS_SELECTOR, '.actions button[data-action="resume"]')), "a paused batch offers Resume")
    click_action(driver, "resume")
    wait_for(driver, "the running state again", lambda d: badge(d) == "running")
    check(batch_status(key, slow)["status"] == "running", "Resume resumed the batch")
    check(console_errors(driver) == [], "no console errors on the running batch's page")

    # Cancel the other one.
    driver.get(DASHBOARD + f"#/batches/{other}")
    wait_for(driver, "the other batch", lambda d: badge(d) in ("running", "created"))
    click_action(driver, "cancel")
    wait_for(driver, "the cancelled state", lambda d: badge(d) == "cancelled")
    check(batch_status(key, other)["status"] == "cancelled", "Cancel cancelled the other batch")
    check(texts(driver, ".actions button[data-action]", "data-action") == ["delete"], "a cancelled batch offers Delete only")

    # An unknown batch: the 404's message and request id.
    driver.get(DASHBOARD + "#/batches/batch-doesnotexist0")
    error = wait_for(driver, "the 404 banner", lambda d: d.find_elements(By.CSS_SELECTOR, "#notice .error"))
    banner = text(driver, "#notice .error") or ""
    check("404 not_found" in banner and "not found" in banner.lower() and re.search(r"Request id: [0-9a-f]{32}", banner), f"an unknown batch shows the 404's message and request id ({banner!r})")
    console_errors(driver, allow=("404",))

    # Create a batch by dropping a CSV file on the drop zone.
    driver.get(DASHBOARD + "#/new")
    wait_for(driver, "the drop zone", lambda d: d.find_elements(By.ID, "dropzone"))
    shoot(driver, "new-batch")
    driver.execute_script(
        """
        const data = new DataTransfer();
        data.items.add(new File(["content,custom_id\\nalpha,a\\nbeta,b\\ngamma,c\\n"], "rows.csv", {type: "text/csv"}));
        const zone = document.getElementById("dropzone");
        zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: data, bubbles: true, cancelable: true}));
        zone.dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true, cancelable: true}));
        """
    )
    wait_for(driver, "the dropped file listed", lambda d: "rows.csv" in (text(d, "#chosen") or ""))
    driver.find_element(By.ID, "batch-name").send_keys("Dropped rows")
    processor = driver.find_element(By.ID, "processor")
    processor.clear()
    processor.send_keys("noop")
    driver.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()
    wait_for(driver, "the new batch's page", lambda d: "#/batches/batch-" in d.current_url)
    created = driver.current_url.rsplit("/", 1)[-1]
    wait_until("the dropped batch finished", lambda: batch_status(key, created)["status"] == "completed")
    status = batch_status(key, created)
    check(status["batch_name"] == "Dropped rows" and status["progress"]["total"] == 3, "the dropped CSV made a batch of its 3 rows")
    check(console_errors(driver) == [], "no console errors creating a batch")


def run_polling_checks(driver, key, slow):
    """The batch page's own requests: each status poll waits the previous answer's
    cache_remaining; none while the tab is hidden."""
    driver.get(DASHBOARD + f"#/batches/{slow}")
    wait_for(driver, "the running batch", lambda d: badge(d) == "running")
    start = time.time()
    time.sleep(7)
    # Hidden: another tab in front.
    original = driver.current_window_handle
    driver.switch_to.new_window("tab")
    hidden_from = time.time()
    time.sleep(6)
    hidden_to = time.time()
    driver.close()
    driver.switch_to.window(original)
    visible = driver.execute_script("return document.visibilityState")
    time.sleep(4)
    wait_for_log_flush()
    polls = [line for line in log_lines() if line[0] >= start and line[2] == "GET" and line[3] == f"/v1/batches/{slow}"]
    check(len(polls) >= 3, f"the page polled the running batch ({len(polls)} polls)")
    gaps_ok = True
    for previous, following in zip(polls, polls[1:]):
        wanted = max(previous[6] or 0, 1)
        if following[0] - previous[1] < wanted - 0.05:
            gaps_ok = False
            print(f"     poll at {following[0]:.3f} came {following[0] - previous[1]:.2f} s after an answer with max-age {wanted}")
    check(gaps_ok, "every status poll waited the previous answer's cache_remaining (max-age)")
    during = [p for p in polls if hidden_from + 0.5 < p[0] < hidden_to - 0.2]
    check(during == [], f"no poll while the tab was hidden ({len(during)} polls)")
    check(visible == "visible" and any(p[0] > hidden_to for p in polls), "polling resumed when the tab was shown again")


def run_admin_pages(driver, web_tenant):
    driver.get(DASHBOARD + "#/login")
    sign_in(driver, OPERATOR)
    # A key to revoke.
    status, body = api("POST", f"/v1/admin/tenants/{web_tenant}/keys", OPERATOR, {"role": "client", "name": "to revoke"})
    doomed_id, doomed_key = body["data"]["key_id"], body["data"]["key"]
    check(api("GET", "/v1/status", doomed_key)[0] == 200, "the key to revoke works before")

    driver.get(DASHBOARD + "#/admin/tenants")
    button = wait_for(driver, "the revoke button", lambda d: d.find_elements(By.CSS_SELECTOR, f'button[data-revoke="{doomed_id}"]'))
    shoot(driver, "tenants")
    if button:
        button[0].click()
        confirm(driver)
    wait_for(driver, "the key shown revoked", lambda d: "revoked" in (text(d, f'tr[data-key-id="{doomed_id}"]') or ""))
    keys = api("GET", f"/v1/admin/tenants/{web_tenant}/keys", OPERATOR)[1]["data"]
    check(any(k["key_id"] == doomed_id and k["revoked_at"] for k in keys), "Revoke revoked the key")
    wait_until("the revoked key refused", lambda: api("GET", "/v1/status", doomed_key)[0] == 401, seconds=5)

    # Create a key: shown once.
    card = driver.find_element(By.CSS_SELECTOR, f'article[data-tenant-id="{web_tenant}"]')
    card.find_element(By.CSS_SELECTOR, "input[name=name]").send_keys("made in the browser")
    card.find_element(By.XPATH, ".//button[contains(., 'Create key')]").click()
    secret = wait_for(driver, "the new key", lambda d: d.find_elements(By.ID, f"secret-{web_tenant}"))
    new_key = text(driver, f"#secret-{web_tenant}") or ""
    check(new_key.startswith("bd_") and api("GET", "/v1/status", new_key)[0] == 200, "a key created in the page works")
    check(console_errors(driver) == [], "no console errors on the tenants page")

    # Change a TTL.
    driver.get(DASHBOARD + "#/admin/cache")
    field = wait_for(driver, "the TTL table", lambda d: d.find_elements(By.ID, "ttl-status-completed"))
    shoot(driver, "cache")
    if field:
        field[0].clear()
        field[0].send_keys("123")
        driver.find_element(By.ID, "save-ttls").click()
    wait_until("the TTL saved", lambda: api("GET", "/v1/admin/cache", OPERATOR)[1]["data"]["defaults"]["status"]["completed"] == 123)
    check(api("GET", "/v1/admin/cache", OPERATOR)[1]["data"]["defaults"]["status"]["completed"] == 123, "the admin's TTL change was stored")
    check(console_errors(driver) == [], "no console errors on the cache page")

    driver.get(DASHBOARD + "#/admin/health")
    wait_for(driver, "readiness", lambda d: text(d, "#ready-state") == "ready")
    check("Nodes (1)" in (text(driver, "main") or ""), "the health page lists the node that serves it")
    wait_for(driver, "the request rate", lambda d: d.find_elements(By.ID, "request-rate"), seconds=15)
    check(bool(driver.find_elements(By.ID, "request-rate")), "the health page shows the request rate from /metrics")
    shoot(driver, "health")
    check(console_errors(driver) == [], "no console errors on the health page")


def run_retry_after(driver):
    """A tenant with a burst of 2 and 6 requests a minute: the list page meets a 429;
    after it, the page's next request waits the Retry-After."""
    tenant, key = make_tenant("tight", {"limit": 6, "window_seconds": 60, "burst": 2})
    start = time.time()
    driver.get(DASHBOARD + "#/login")
    sign_in(driver, key)
    driver.get(DASHBOARD + "#/new")
    driver.get(DASHBOARD + "#/batches")
    banner = wait_for(driver, "the rate-limit banner", lambda d: "rate_limit_error" in (text(d, "#notice .error") or ""), seconds=20)
    check(bool(banner), "a 429 is shown with its code and Retry-After")
    shoot(driver, "rate-limited")
    time.sleep(12)
    wait_for_log_flush()
    lines = [line for line in log_lines() if line[0] >= start and line[3].startswith("/v1/")]
    refused = [line for line in lines if line[4] == 429]
    check(len(refused) >= 1, f"the tight tenant met 429s ({len(refused)})")
    ok = True
    for r in refused:
        # Requests of the page after the refusal: none before Retry-After passed
        # (a request already on its way when the 429 came is not a reaction to it).
        early = [line for line in lines if r[1] < line[0] < r[1] + (r[5] or 1) - 0.05]
        if early:
            ok = False
            print(f"     {len(early)} request(s) within {r[5]} s of a 429: {early[:2]}")
    check(ok, "after a 429 the pages wait its Retry-After before the next request")
    wait_for(driver, "the empty list", lambda d: "No batches yet" in (text(d, "main") or ""), seconds=20)
    check("No batches yet" in (text(driver, "main") or ""), "a tenant without batches sees the empty state once the limit allows")
    console_errors(driver, allow=("429",))


if __name__ == "__main__":
    main()
    sys.exit(1 if failures else 0)
