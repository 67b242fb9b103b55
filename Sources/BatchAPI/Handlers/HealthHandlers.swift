import BatchCache
import BatchCodecs
import BatchModel
import BatchStore

/// `/healthz` (the process answers) and `/readyz` (its dependencies answer).
public enum HealthHandlers {
    public static func healthz(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        .json(200, ["status": "ok", "version": .string(ServiceInfo.version)])
    }

    /// 200 `ready` when SQLite takes a write and Redis answers; 200 `degraded`
    /// when only Redis is down (batchd serves from SQLite then); 503 when SQLite
    /// cannot be read or written (a read-only or full disk fails every create).
    public static func readyz(_ context: RequestContext) throws(APIError) -> HTTPResponse {
        let dependencies = DependencyProbe.check(context.resources, write: true)
        let status: String
        let code: Int
        switch (dependencies.sqlite, dependencies.redis) {
        case (true, true): (status, code) = ("ready", 200)
        case (true, false): (status, code) = ("degraded", 200)
        default: (status, code) = ("unavailable", 503)
        }
        var body: JSONObject = [
            "status": .string(status),
            "checks": ["sqlite": .string(dependencies.sqlite ? "up" : "down"), "redis": .string(dependencies.redis ? "up" : "down")],
            "version": .string(ServiceInfo.version),
        ]
        let now = Timestamp.now().milliseconds
        if dependencies.redis, let redis = context.resources.redis, let nodes = try? NodeRegistry().list(redis, now: now) {
            body["nodes"] = .array(nodes.map { nodeDocument($0, now: now) })
        }
        return .json(code, .object(body))
    }

    /// One node of the registry: its name, version, start and how long ago it was heard from.
    static func nodeDocument(_ node: NodeRegistry.Node, now: Int64) -> JSONValue {
        [
            "name": .string(node.name), "version": .string(node.version),
            "started_at": .string(Timestamp(milliseconds: node.startedAtMilliseconds).iso8601),
            "last_seen_seconds": .double(Double(max(0, now - node.seenAtMilliseconds)) / 1000),
        ]
    }
}

/// Checks the worker's own SQLite and Redis connections with one cheap call each.
public enum DependencyProbe {
    /// Probes now, or reuses this worker's last probe when it is younger than
    /// `maxAgeMilliseconds` (so a hot status endpoint does not add a Redis round trip).
    /// With `write`, SQLite must also commit a one-row write (a busy writer
    /// counts as up: the database works, someone else holds it).
    public static func check(_ resources: WorkerResources, maxAgeMilliseconds: Int64 = 0, write: Bool = false) -> (sqlite: Bool, redis: Bool) {
        let now = SystemClock.monotonicMilliseconds()
        if maxAgeMilliseconds > 0, let last = resources.lastProbe, now - last.at < maxAgeMilliseconds {
            return (last.sqlite, last.redis)
        }
        var sqlite = false
        do {
            let store = try resources.store()
            sqlite = try store.statement("SELECT 1").firstRow { $0.int(0) } == 1
            if sqlite, write { try SettingsRecords(store).recordProbe() }
        } catch {
            if error != .busy {
                sqlite = false
                resources.resetStore()
            }
        }
        let redis = resources.redis?.ping() ?? false
        resources.lastProbe = (now, sqlite, redis)
        return (sqlite, redis)
    }
}
