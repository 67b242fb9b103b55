"""Checks a live batchd stack against its own OpenAPI contract.

1. The document served at /v1/openapi.yaml is the repository's file and a valid
   OpenAPI 3.1 document (openapi-spec-validator).
2. Every operation in it is called, with batches in every state (running with
   failures, paused, completed, cancelled, failed validation, accumulating), and
   every response (status, headers, body) is validated with openapi-core.
   An operation the script never saw answer 2xx is a failure: the contract and
   the routes cannot drift apart.
3. Fuzz: every operation's query and path parameters get hostile values, and every
   JSON body property the wrong type: no 5xx, every answer documented and valid,
   nothing that looks like a stack trace or SQL in any body.

Environment: BATCHD_URL, BATCHD_KEY (client), BATCHD_ADMIN_KEY, BATCHD_SPEC (the
repository's openapi.yaml). Prints one line per failure and a summary; exits 1 on
any failure. Needs openapi-core, openapi-spec-validator and PyYAML (deploy/test
installs them into a virtual environment).
"""
import json
import os
import posixpath
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_spec_validator import validate as validate_spec

BASE = os.environ["BATCHD_URL"].rstrip("/")
KEY = os.environ["BATCHD_KEY"]
ADMIN = os.environ["BATCHD_ADMIN_KEY"]
SPEC_PATH = os.environ["BATCHD_SPEC"]

failures = []
checked = 0
answered_2xx = set()  # (method, path template)
LEAK = re.compile(r"SQLITE_|sqlite3|no such table|SQL logic|SELECT |INSERT |UPDATE |Fatal error|\.swift:|Traceback|segmentation|stack trace", re.I)


def fail(message):
    failures.append(message)
    print("FAIL", message)


def http(method, path, key=None, body=None, content_type=None, headers=None):
    """One request through nginx; returns (status, headers dict lower-cased, body bytes)."""
    request = urllib.request.Request(BASE + path, method=method, data=body)
    if key:
        request.add_header("X-Api-Key", key)
    if content_type:
        request.add_header("Content-Type", content_type)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


served_status, _, served = http("GET", "/v1/openapi.yaml")
if served_status != 200:
    print(f"FAIL GET /v1/openapi.yaml answered {served_status}")
    sys.exit(1)
with open(SPEC_PATH, "rb") as handle:
    if handle.read() != served:
        fail("/v1/openapi.yaml differs from the repository's openapi.yaml")
spec_dict = yaml.safe_load(served)
try:
    validate_spec(spec_dict)
except Exception as error:  # the validator's own exception types vary by version
    print(f"FAIL openapi.yaml is not a valid OpenAPI document: {error}")
    sys.exit(1)
# Validate against the address the stack was started on, not the document's example server.
api = OpenAPI.from_dict({**spec_dict, "servers": [{"url": BASE}]})

TEMPLATES = []
for template, item in spec_dict["paths"].items():
    pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", re.escape(template).replace(r"\{", "{").replace(r"\}", "}")) + "$"
    for method in item:
        if method in ("get", "put", "post", "patch", "delete"):
            TEMPLATES.append((method.upper(), template, re.compile(pattern)))


def template_of(method, path):
    # nginx decodes and normalises the path before routing ("a/..%2F.." leaves "a").
    path = posixpath.normpath(urllib.parse.unquote(path, errors="replace")) if "%2F" in path.upper() else path
    for candidate_method, template, pattern in TEMPLATES:
        if candidate_method == method and pattern.match(path):
            return template
    return None


LINE_TYPES = ("application/x-ndjson", "text/csv")
LINE_KEYS = ["custom_id", "item_id", "seq", "status", "result", "error", "media_id", "started_at", "completed_at", "duration_ms", "usage"]
CSV_HEADER = ("custom_id,item_id,seq,status,result,error_type,error_message,media_id,started_at,completed_at,duration_ms,"
              "cost_cents,input_tokens,output_tokens")


def check_lines(label, template, method, status, response_type, raw):
    """A results download: its status and media type in the contract, and each line well formed."""
    operation = spec_dict["paths"][template][method.lower()]
    documented = operation["responses"].get(str(status))
    if documented is None or (raw and response_type not in documented.get("content", {})):
        fail(f"{label}: {status} {response_type} is not in the contract")
        return
    if status != 200:
        return
    text = raw.decode("utf-8")
    if response_type == "text/csv":
        if not text.startswith(CSV_HEADER + "\r\n"):
            fail(f"{label}: the CSV does not start with its header: {text[:200]!r}")
        return
    for line in filter(None, text.split("\n")):
        item = json.loads(line)
        if list(item) != LINE_KEYS or item["status"] not in ("succeeded", "failed", "cancelled", "expired", "pending", "processing"):
            fail(f"{label}: a line is not a result line: {line[:200]!r}")
            return


def call(method, path, key=KEY, body=None, content_type=None, headers=None, expect=None):
    """Calls batchd and validates the exchange against the contract; returns (status, parsed JSON or None)."""
    global checked
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        content_type = content_type or "application/json"
    status, response_headers, raw = http(method, path, key, body, content_type, headers)
    checked += 1
    split = urllib.parse.urlsplit(path)
    label = f"{method} {path}"
    if status >= 500:
        fail(f"{label}: {status} {raw[:200]!r}")
    if LEAK.search(raw.decode("utf-8", "replace")) and not path.startswith("/v1/openapi.yaml"):
        fail(f"{label}: body leaks internals: {raw[:200]!r}")
    template = template_of(method, split.path)
    if template is None:
        if status not in (404, 405):
            fail(f"{label}: answered {status} but the path is not in the contract")
        return status, None
    request_headers = dict(headers or {})
    if key:
        request_headers["X-Api-Key"] = key
    response_type = response_headers.get("content-type", "").split(";")[0].strip()
    if response_type in LINE_TYPES:
        # Results downloads are lines, not one document: the status and type must be the
        # operation's, and every line must be what the README and the description promise.
        check_lines(label, template, method, status, response_type, raw)
        if 200 <= status < 300:
            answered_2xx.add((method, template))
        if expect is not None and status != expect:
            fail(f"{label}: expected {expect}, got {status}: {raw[:300]!r}")
        return status, None
    request = MockRequest(
        BASE, method.lower(), split.path, args=dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True)),
        headers=request_headers, data=body or b"", content_type=content_type or "application/json")
    response_type = response_headers.get("content-type", "").split(";")[0].strip()
    response = MockResponse(raw, status_code=status, headers=response_headers, content_type=response_type)
    try:
        api.validate_response(request, response)
    except Exception as error:
        detail = error
        cause = getattr(error, "__cause__", None)
        if cause is not None:
            detail = f"{error}: {cause}"
            errors = getattr(cause, "schema_errors", None)
            if errors:
                detail = f"{error}: " + "; ".join(str(e.message) for e in errors)
        fail(f"{label} -> {status}: does not match the contract: {detail} body={raw[:300]!r}")
    if response_type == "application/json" and status != 204:
        if "x-request-id" not in response_headers:
            fail(f"{label}: no X-Request-Id header")
    if expect is not None and status != expect:
        fail(f"{label}: expected {expect}, got {status}: {raw[:300]!r}")
    if 200 <= status < 300:
        answered_2xx.add((method, template))
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, None


def create(body, expect=201):
    status, document = call("POST", "/v1/batches", body=body, expect=expect)
    return document["data"]["batch_id"] if status == 201 else None


def wait_for(batch_id, words, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        status, _, raw = http("GET", f"/v1/batches/{batch_id}", KEY)
        if status == 200 and json.loads(raw)["data"]["status"] in words:
            return True
        time.sleep(0.1)
    fail(f"{batch_id} never reached {words}")
    return False


PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="

# --- Batches in every state -------------------------------------------------
completed = create({"batch_name": "reports", "collection": "contract", "items": [
    {"content_base64": PNG, "filename": "chart.png", "custom_id": "c1"},
    {"content": "quarterly summary", "filename": "q4.txt"},
    {"content_base64": "AAECAw==", "filename": "data.xlsx"}]})
running = create({"batch_name": "running", "processor": "exec:flaky", "configuration": {"max_concurrent": 1},
                  "items": [{"content": "bad"}, {"content": "slow"}, {"content": "slow"}]})
paused = create({"processor": "exec:flaky", "configuration": {"max_concurrent": 1},
                 "items": [{"content": "slow"}, {"content": "slow"}]})
cancelled = create({"processor": "noop", "submit": False, "items": [{"content": "x"}]})
invalid = create({"items": [{"content": "ok", "custom_id": "a"}, {"filename": "empty"}]})
accumulating = create({"processor": "noop", "submit": False})
csv_batch = http("POST", "/v1/batches?processor=noop&batch_name=csv", KEY, b"content,custom_id\nhello,r1\n", "text/csv")
call("POST", "/v1/batches?processor=noop", body=b'{"content":"a"}\n{"content":"b"}\n', content_type="application/x-ndjson", expect=201)
boundary = "contractboundary"
multipart = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"batch_name\"\r\n\r\nupload\r\n"
             f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"note.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
             f"--{boundary}--\r\n").encode()
call("POST", "/v1/batches", body=multipart, content_type=f"multipart/form-data; boundary={boundary}", expect=201)
call("POST", "/v1/batches", body={"processor": "noop", "items": [{"content": "i"}]},
     headers={"Idempotency-Key": "contract-1"}, expect=201)
call("POST", "/v1/batches", body={"processor": "noop", "items": [{"content": "i"}]},
     headers={"Idempotency-Key": "contract-1"}, expect=201)
call("POST", "/v1/batches", body={"processor": "noop", "items": [{"content": "other"}]},
     headers={"Idempotency-Key": "contract-1"}, expect=409)

wait_for(completed, ["completed"])
wait_for(running, ["running"])
wait_for(paused, ["running"])
call("PUT", f"/v1/batches/{paused}/state", body={"action": "pause"}, expect=200)
call("PUT", f"/v1/batches/{cancelled}/state", expect=200)
call("PUT", f"/v1/batches/{cancelled}/state", body={"action": "cancel"}, expect=200)
call("PUT", f"/v1/batches/{cancelled}/state", body={"action": "resume"}, expect=409)
call("POST", f"/v1/batches/{accumulating}/items", body={"items": [{"content": "more", "custom_id": "m1"}]}, expect=200)
call("POST", f"/v1/batches/{completed}/items", body={"items": [{"content": "late"}]}, expect=409)
# The running batch's first item fails at once; wait for that failure to be counted.
deadline = time.time() + 20
while time.time() < deadline:
    _, _, raw = http("GET", f"/v1/batches/{running}", KEY)
    if json.loads(raw)["data"]["progress"]["failed"] >= 1:
        break
    time.sleep(0.1)

states = {"completed": completed, "running": running, "paused": paused, "cancelled": cancelled,
          "failed": invalid, "accumulating": accumulating}
status_queries = ["", "?include_job_details=true", "?metrics_only=true", "?include_errors=false",
                  "?fields=progress,timing", "?include_job_details=true&include_errors=false"]
for word, batch_id in states.items():
    for query in status_queries:
        _, document = call("GET", f"/v1/batches/{batch_id}{query}", expect=200)
        if query == "" and document and document["data"]["status"] != word:
            fail(f"{word} batch shows status {document['data']['status']}")
    for query in ["", "?page=1&page_size=1", "?page=99"]:
        call("GET", f"/v1/batches/{batch_id}/results{query}", expect=200)
    for query in ["", "?after=1", "?state=failed"]:
        call("GET", f"/v1/batches/{batch_id}/results.jsonl{query}", expect=200)
    call("GET", f"/v1/batches/{batch_id}/results.csv", expect=200)

# A results download's conditional and partial answers.
status, download_headers, whole = http("GET", f"/v1/batches/{completed}/results.jsonl", KEY)
if status != 200 or not whole:
    fail(f"results.jsonl of the completed batch: {status}, {len(whole)} bytes")
else:
    call("GET", f"/v1/batches/{completed}/results.jsonl", headers={"Range": "bytes=1-"}, expect=206)
    call("GET", f"/v1/batches/{completed}/results.csv", headers={"Range": "bytes=-10"}, expect=206)
    call("GET", f"/v1/batches/{completed}/results.jsonl", headers={"Range": f"bytes={len(whole)}-"}, expect=416)
    call("GET", f"/v1/batches/{completed}/results.jsonl", headers={"If-None-Match": download_headers.get("etag", "")}, expect=304)
    for path in [f"/v1/batch/{batch_id}", f"/compat/check/v1/batch/{batch_id}", f"/compat/talonic/v1/batches/{batch_id}"]:
        call("GET", path, expect=200)

for query in ["", "?limit=2", "?status=completed,cancelled", "?collection=contract",
              "?created_after=2020-01-01T00:00:00Z&created_before=2100-01-01T00:00:00Z"]:
    call("GET", f"/v1/batches{query}", expect=200)
_, page = call("GET", "/v1/batches?limit=1", expect=200)
if page and page["pagination"]["next_cursor"]:
    call("GET", f"/v1/batches?limit=1&after={page['pagination']['next_cursor']}", expect=200)

_, media = call("GET", "/v1/media?collection=contract", expect=200)
if media and media["data"]:
    call("GET", f"/v1/media/{media['data'][0]['media_id']}", expect=200)
else:
    fail("the completed batch created no media")
call("GET", "/v1/media?page=2&page_size=1", expect=200)
call("GET", "/v1/media/vec-doesnotexist", expect=404)

call("PUT", f"/v1/batches/{running}/state", body={"action": "cancel"}, expect=200)
call("DELETE", f"/v1/batches/{paused}", expect=409)
call("DELETE", f"/v1/batches/{cancelled}", expect=200)
call("GET", f"/v1/batches/{cancelled}", expect=404)

# --- Operations and admin ----------------------------------------------------
call("GET", "/healthz", key=None, expect=200)
call("GET", "/readyz", key=None, expect=200)
call("GET", "/metrics", key=None, expect=200)
call("GET", "/v1/openapi.yaml", key=None, expect=200)
call("GET", "/v1/status", expect=200)
call("GET", "/v1/status", key=None, expect=401)
call("GET", "/v1/status", key="bd_" + "a" * 32, expect=401)
call("GET", "/v1/admin/tenants", expect=403)
call("GET", "/v1/admin/tenants", key=ADMIN, expect=200)
_, tenant = call("POST", "/v1/admin/tenants", key=ADMIN, expect=201, body={
    "name": "contract-tenant", "rate_limit": {"limit": 500, "window_seconds": 60, "burst": 50, "write_limit": 100},
    "quota": {"max_batches": 10, "max_items": None}})
if tenant:
    tenant_id = tenant["data"]["tenant_id"]
    call("GET", f"/v1/admin/tenants/{tenant_id}", key=ADMIN, expect=200)
    call("PATCH", f"/v1/admin/tenants/{tenant_id}", key=ADMIN, body={"quota": {"max_items": 1000}}, expect=200)
    _, created_key = call("POST", f"/v1/admin/tenants/{tenant_id}/keys", key=ADMIN, body={"name": "ci"}, expect=201)
    call("GET", f"/v1/admin/tenants/{tenant_id}/keys", key=ADMIN, expect=200)
    if created_key:
        call("GET", "/v1/status", key=created_key["data"]["key"], expect=200)
        call("DELETE", f"/v1/admin/tenants/{tenant_id}/keys/{created_key['data']['key_id']}", key=ADMIN, expect=200)
call("GET", "/v1/admin/tenants/ten-doesnotexist", key=ADMIN, expect=404)
call("GET", "/v1/admin/cache", key=ADMIN, expect=200)
if tenant:
    call("GET", f"/v1/admin/cache?tenant={tenant['data']['tenant_id']}", key=ADMIN, expect=200)
    call("PUT", "/v1/admin/cache", key=ADMIN, body={"tenant": tenant["data"]["tenant_id"], "ttl": {"all": {"finished": 600}}}, expect=200)
    call("PUT", "/v1/admin/cache", key=ADMIN, body={"tenant": tenant["data"]["tenant_id"], "reset": True}, expect=200)
call("PUT", "/v1/admin/cache", key=ADMIN, body={"ttl": {"status": {"running": 20, "completed": 400}}}, expect=200)
call("PUT", "/v1/admin/cache", key=ADMIN, body={"ttl": {"status": {"running": -1}}}, expect=400)
call("PUT", "/v1/admin/cache", key=ADMIN, body={"ttl": {"status": {"running": 86401}}}, expect=400)
call("DELETE", f"/v1/admin/cache?batch_id={completed}", key=ADMIN, expect=200)
call("DELETE", "/v1/admin/cache", key=ADMIN, expect=200)
call("GET", "/v1/admin/diagnostics/sleep?ms=1", key=ADMIN, expect=200)

for method, template, _ in TEMPLATES:
    if (method, template) not in answered_2xx:
        fail(f"{method} {template}: in the contract but never answered 2xx in this run")

# --- Fuzz --------------------------------------------------------------------
HOSTILE = ["", "0", "-1", "1e999", "abc", "true1", "%00", "%27%20OR%201%3D1--", "..%2F..%2Fetc%2Fpasswd",
           "%E2%80%AE", "9" * 40, "a" * 300, "%FF%FE", "null", "[]", "{}", ",,,", "%0D%0AX-Injected:%201"]
WRONG_TYPES = [None, 12345, -1, 1.5, True, "text", [], {}, [1, 2], {"nested": {"deep": [None]}}]
fuzzed = 0
for method, template, _ in TEMPLATES:
    item = spec_dict["paths"][template]
    operation = item[method.lower()]
    parameters = item.get("parameters", []) + operation.get("parameters", [])
    names = []
    for parameter in parameters:
        if "$ref" in parameter:
            parameter = spec_dict["components"]["parameters"][parameter["$ref"].split("/")[-1]]
        names.append((parameter["name"], parameter["in"]))
    key = ADMIN if template.startswith("/v1/admin") else KEY
    # Path parameters: hostile ids in place of real ones (nothing real is touched).
    base_path = template
    for name, where in names:
        if where == "path":
            base_path = base_path.replace("{" + name + "}", "batch-doesnotexist")
    for name, where in names:
        if where == "path":
            for value in HOSTILE[1:]:
                path = template.replace("{" + name + "}", value)
                path = re.sub(r"\{[^}]+\}", "batch-doesnotexist", path)
                call(method, path, key=key)
                fuzzed += 1
        elif where == "query" and method == "GET":
            for value in HOSTILE:
                call(method, f"{base_path}?{name}={value}", key=key)
                fuzzed += 1
    call(method, f"{base_path}?unknown_parameter=1", key=key)
    body_schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if body_schema and method != "GET":
        if "$ref" in body_schema:
            body_schema = spec_dict["components"]["schemas"][body_schema["$ref"].split("/")[-1]]
        target = base_path
        if "{batch_id}" in template:
            target = template.replace("{batch_id}", accumulating)
        if template.startswith("/v1/admin/tenants/{tenant_id}") and tenant:
            target = template.replace("{tenant_id}", tenant["data"]["tenant_id"])
        for prop in body_schema.get("properties", {}):
            for wrong in WRONG_TYPES:
                call(method, target, key=key, body={prop: wrong})
                fuzzed += 1
        for raw in [b"", b"{", b"[]", b"null", b'{"a":1}', b"\xff\xfe", b'{"items": "' + b"x" * 5000 + b'"}']:
            call(method, target, key=key, body=raw, content_type="application/json")
            fuzzed += 1

# Nothing stored may have been lost to the fuzz.
_, after = call("GET", f"/v1/batches/{completed}", expect=200)
if not after or after["data"]["progress"]["total"] != 3:
    fail("the completed batch changed under the fuzz")

print(f"contract: {checked} responses checked against {len(TEMPLATES)} operations ({fuzzed} fuzzed), {len(failures)} failures")
sys.exit(1 if failures else 0)
