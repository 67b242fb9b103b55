# Shared pieces of deploy/run, deploy/test and deploy/bench. Source it; do not run it.
# Everything here works as root on a fresh Debian machine and as a developer.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ -d /opt/swift/usr/bin ] && export PATH="/opt/swift/usr/bin:$PATH"

log() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[1;33m!!\033[0m %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Installs the Debian packages that are missing; runs apt-get update only when needed.
ensure_packages() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# What building and running batchd needs.
# libpq-dev and postgresql: the PostgreSQL store (linked always; the server for the tests and several nodes).
RUNTIME_PACKAGES=(libfcgi-dev libhiredis-dev libsqlite3-dev libpq-dev zlib1g-dev nginx redis-server postgresql curl ca-certificates procps)

command -v swift >/dev/null 2>&1 || die "swift is not on PATH (expected the toolchain at /opt/swift)"

# Renders nginx/batchd.conf.in and nginx/nginx.conf.in into $RUN_DIR.
#   render_nginx STATE_DIR LISTEN SOCKETS [EXTRA_SERVER_FILE [EXTRA_HTTP_FILE]]
# SOCKETS: one batchd socket, or several separated by spaces (one upstream server each).
# Tunables come from the environment: NGINX_KEEP_CONN (on), NGINX_UPSTREAM_KEEPALIVE (16),
# NGINX_WORKERS (nproc), PER_ADDRESS_RATE (200r/s), PER_ADDRESS_BURST (400), PER_ADDRESS_CONN
# (128 requests in progress), MAX_BODY (512m), RESULTS_DIR (STATE_DIR/var/results: batchd's
# --results-dir, whose files nginx sends for finished batches' results downloads),
# DASHBOARD_DIR (this checkout's nginx/dashboard: the dashboard's static files).
render_nginx() {
    local state="$1" listen="$2" socket="$3" extra="${4:-}" extra_http_file="${5:-}"
    local run="$state/run" logs="$state/log"
    mkdir -p "$run" "$logs"
    local user_directive="# not root: workers run as the invoking user"
    # Started as root, nginx would run its workers as nobody, who cannot reach the
    # socket under a private state directory: run them as the invoking user instead.
    [ "$(id -u)" -eq 0 ] && user_directive="user root root;"
    local extra_server=""
    [ -n "$extra" ] && extra_server="$(cat "$extra")"
    local extra_http=""
    [ -n "$extra_http_file" ] && extra_http="$(cat "$extra_http_file")"
    python3 - "$ROOT/nginx" "$run" <<PY
import sys
nginx_dir, run = sys.argv[1], sys.argv[2]
sockets = "$socket".split()
servers = "\n".join(f"    server unix:{path}" + (" max_fails=1 fail_timeout=2s;" if len(sockets) > 1 else ";") for path in sockets)
values = {
    "SERVERS": servers, "SOCKET": sockets[0], "LISTEN": "$listen", "LOG_DIR": "$logs", "RUN_DIR": run, "NGINX_DIR": nginx_dir,
    "KEEP_CONN": "${NGINX_KEEP_CONN:-on}", "UPSTREAM_KEEPALIVE": "${NGINX_UPSTREAM_KEEPALIVE:-16}",
    "PER_ADDRESS_RATE": "${PER_ADDRESS_RATE:-200r/s}", "PER_ADDRESS_BURST": "${PER_ADDRESS_BURST:-400}",
    "PER_ADDRESS_CONN": "${PER_ADDRESS_CONN:-128}",
    "MAX_BODY": "${MAX_BODY:-512m}", "NGINX_WORKERS": "${NGINX_WORKERS:-$(nproc)}", "DAEMON": "${NGINX_DAEMON:-on}",
    "USER_DIRECTIVE": "$user_directive", "EXTRA_SERVER": """$extra_server""", "EXTRA_HTTP": """$extra_http""",
    "RESULTS_DIR": "${RESULTS_DIR:-$state/var/results}",
    "DASHBOARD_DIR": "${DASHBOARD_DIR:-$ROOT/nginx/dashboard}",
}
for name in ("batchd.conf", "nginx.conf"):
    text = open(f"{nginx_dir}/{name}.in").read()
    for key, value in values.items():
        text = text.replace("@" + key + "@", value)
    open(f"{run}/{name}", "w").write(text)
PY
}

# FastCGI worker threads for batchd in front of an nginx with N workers: every idle
# kept-open upstream connection pins a thread, so threads must exceed the total
# keepalive pool (workers x keepalive) with room for requests in flight.
recommended_threads() {
    local workers="${NGINX_WORKERS:-$(nproc)}" keepalive="${NGINX_UPSTREAM_KEEPALIVE:-16}"
    local needed=$(( 2 * workers * keepalive + 32 ))
    [ "$needed" -lt 128 ] && needed=128
    echo "$needed"
}

# Writes a Redis config that listens on a unix socket only and keeps nothing on disk:
# Redis holds only what can be lost.
write_redis_conf() {
    local state="$1"
    cat > "$state/run/redis.conf" <<CONF
port 0
unixsocket $state/run/redis.sock
unixsocketperm 700
pidfile $state/run/redis.pid
logfile $state/log/redis.log
dir $state/var
daemonize yes
save ""
appendonly no
maxmemory 256mb
maxmemory-policy allkeys-lru
CONF
}

# Waits until a command succeeds, up to N tenths of a second.
wait_for() {
    local tries="$1"; shift
    for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    return 1
}

# True while a process runs. A zombie counts as gone: a daemon whose parent
# exited waits for PID 1 (or a subreaper) to reap it, which can take seconds.
alive() {
    [ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# Stops the process in a pid file: TERM, up to 15 s to exit, then KILL.
stop_pidfile() {
    local file="$1"
    [ -f "$file" ] || return 0
    # The file may go between the check and the read (a supervisor removes the
    # pidfile of a process that exited): that is a stop with nothing left to do.
    local pid; pid="$(cat "$file" 2>/dev/null || true)"
    if [ -n "$pid" ] && alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 300); do alive "$pid" || break; sleep 0.05; done
        # It may exit between the check and the kill: not a failure of the stop.
        if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    fi
    rm -f "$file"
}

# The newest Debian PostgreSQL's programs.
postgres_bin() {
    local newest
    newest="$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)"
    [ -n "$newest" ] || die "PostgreSQL is not installed (the postgresql package)"
    echo "/usr/lib/postgresql/$newest/bin"
}

# A private PostgreSQL cluster under STATE/pg, listening on a unix socket there
# only: created on first use (database batchd, role batchd, trust on the socket),
# started, and its libpq connection string printed. As root it runs as the
# postgres user (PostgreSQL refuses to run as root).
#   start_postgres STATE
start_postgres() {
    local state="$1" bin as=""
    bin="$(postgres_bin)"
    mkdir -p "$state/pg"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres "$state/pg"
        as="runuser -u postgres --"
    fi
    if [ ! -f "$state/pg/data/PG_VERSION" ]; then
        $as "$bin/initdb" -D "$state/pg/data" -U batchd -A trust -E UTF8 --locale=C >"$state/log/postgres-init.log" 2>&1 \
            || die "initdb failed (see $state/log/postgres-init.log)"
    fi
    if ! $as "$bin/pg_ctl" -D "$state/pg/data" status >/dev/null 2>&1; then
        # Connections: every node's FastCGI threads plus its background workers.
        $as "$bin/pg_ctl" -D "$state/pg/data" -l "$state/pg/server.log" -w -t 30 \
            -o "-k $state/pg -c listen_addresses='' -c max_connections=${POSTGRES_MAX_CONNECTIONS:-600}" start >/dev/null \
            || die "PostgreSQL did not start (see $state/pg/server.log)"
    fi
    psql -h "$state/pg" -U batchd -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'batchd'" | grep -q 1 \
        || psql -h "$state/pg" -U batchd -d postgres -qc "CREATE DATABASE batchd" >/dev/null
    echo "host=$state/pg user=batchd dbname=batchd"
}

stop_postgres() {
    local state="$1" as=""
    [ -f "$state/pg/data/postmaster.pid" ] || return 0
    [ "$(id -u)" -eq 0 ] && as="runuser -u postgres --"
    $as "$(postgres_bin)/pg_ctl" -D "$state/pg/data" -m fast -w stop >/dev/null 2>&1 || true
}

