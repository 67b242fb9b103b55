public import BatchModel

/// Per-tenant GCRA in Redis: one script call decides the tenant's general budget
/// and, for writes, its write budget, on Redis's clock, so the limit holds across
/// every worker thread and every batchd process sharing the Redis. A refusal
/// consumes nothing. The arithmetic is `GCRA.decide`'s. A read may take several
/// cells at once (`cells`: a `RateLimitLease` the process spends locally); the script
/// takes as many as fit, at least one or none.
public struct RedisRateLimiter: Sendable {
    /// The decision, as a Lua fragment that leaves its answer in `out`.
    /// KEYS[1]: the general TAT; KEYS[2]: the write TAT (writes only, when ARGV[3] is set).
    /// ARGV[1..2]: interval and burst offset (µs) of the general budget; ARGV[3..4] the
    /// write budget's or empty; the cells wanted from the general budget are in
    /// `wanted` (set by the script around the fragment). Times are whole microseconds
    /// on Redis's clock, so `out` goes back as integer replies: now, then for each
    /// budget the cells taken (0 when refused), remaining, retry and reset (µs).
    static let decision = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local function decide(key, interval, offset, cells)
          local tat = tonumber(redis.call('GET', key) or '') or now
          if tat < now then tat = now end
          local first = math.floor(tat + interval + 0.5)
          local allow_at = first - offset
          if now < allow_at then return {0, tat, 0, math.ceil(allow_at - now), tat - now} end
          local taken = math.min(cells, 1 + math.floor((now + offset - first) / interval))
          local new = math.floor(tat + taken * interval + 0.5)
          local remaining = math.floor((now + offset - new) / interval)
          if remaining < 0 then remaining = 0 end
          return {taken, new, remaining, 0, new - now}
        end
        local g = decide(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), wanted)
        local w = nil
        if ARGV[3] and ARGV[3] ~= '' then w = decide(KEYS[2], tonumber(ARGV[3]), tonumber(ARGV[4]), 1) end
        local allowed = g[1] >= 1 and (w == nil or w[1] == 1)
        if allowed then
          redis.call('SET', KEYS[1], string.format('%.0f', g[2]), 'PX', math.ceil((g[2] - now) / 1000) + 1000)
          if w then redis.call('SET', KEYS[2], string.format('%.0f', w[2]), 'PX', math.ceil((w[2] - now) / 1000) + 1000) end
        end
        local out = {now, g[1], g[3], g[4], g[5]}
        if w then
          table.insert(out, w[1]); table.insert(out, w[3]); table.insert(out, w[4]); table.insert(out, w[5])
        end

        """

    /// ARGV[5]: the cells wanted (1 when absent).
    static let script = RedisScript(name: "gcra", source: "local wanted = tonumber(ARGV[5] or '') or 1\n" + decision + "return out\n")

    /// Gives back cells a lease did not spend. KEYS[1]: the general TAT; ARGV[1]:
    /// interval (µs); ARGV[2]: cells. A TAT moved back to now or before holds nothing.
    static let refundScript = RedisScript(
        name: "gcra_refund",
        source: """
            local tat = tonumber(redis.call('GET', KEYS[1]) or '')
            if not tat then return 0 end
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
            local new = tat - tonumber(ARGV[2]) * tonumber(ARGV[1])
            if new <= now then redis.call('DEL', KEYS[1]) return 1 end
            redis.call('SET', KEYS[1], string.format('%.0f', new), 'PX', math.ceil((new - now) / 1000) + 1000)
            return 1
            """)

    /// The decision for a read, and when allowed the status-cache read of
    /// `StatusCache.readScript` in the same call (KEYS[2]: entry, KEYS[3]: lock,
    /// ARGV[5]: lock ms): one script, one round trip for a cached answer.
    static let gatedReadScript = RedisScript(
        name: "gcra_status_read",
        source: "local wanted = tonumber(ARGV[6] or '') or 1\n" + decision + """
            if not allowed then return out end
            local v = redis.call('GET', KEYS[2])
            if v then
              table.insert(out, v); table.insert(out, redis.call('PTTL', KEYS[2]))
              return out
            end
            table.insert(out, false)
            if redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[5]) then table.insert(out, 1) else table.insert(out, 0) end
            return out
            """)

    public init() {}

    /// The key of the tenant's general budget under `policy`. The policy is part of
    /// the key: a changed limit starts the tenant's budget afresh instead of holding it
    /// to usage counted under the old one. Also the key of the process's lease.
    public static func budgetKey(tenantID: String, policy: RateLimitPolicy) -> String {
        "\(StatusCacheKey.prefix(tenantID))rl:\(policyTag(policy))"
    }

    static func policyTag(_ policy: RateLimitPolicy) -> String { "\(policy.limit)/\(policy.windowSeconds)/\(policy.burst)" }

    /// The script call deciding one request of `tenantID` (to run alone, or pipelined
    /// with others); a read may ask for `cells` at once.
    public func call(tenantID: String, policy: RateLimitPolicy, write: Bool, cells: Int = 1) -> RedisScriptCall {
        let general = policy.requests
        var keys = [Self.budgetKey(tenantID: tenantID, policy: policy)]
        var arguments = [Self.microseconds(general.intervalMilliseconds), Self.microseconds(general.burstOffsetMilliseconds)]
        if write, let writes = policy.writes {
            keys.append("\(StatusCacheKey.prefix(tenantID))rlw:\(Self.policyTag(policy))/\(writes.limit)")
            arguments += [Self.microseconds(writes.intervalMilliseconds), Self.microseconds(writes.burstOffsetMilliseconds)]
        } else if cells > 1 {
            arguments += ["", "", String(cells)]
        }
        return RedisScriptCall(Self.script, keys: keys, arguments: arguments)
    }

    /// Gives `cells` a lease did not spend back to the budget at `budgetKey`.
    public func refundCall(budgetKey: String, intervalMilliseconds: Double, cells: Int) -> RedisScriptCall {
        RedisScriptCall(Self.refundScript, keys: [budgetKey], arguments: [Self.microseconds(intervalMilliseconds), String(cells)])
    }

    /// A read's decision (taking up to `cells`) and, when allowed, its status-cache read, in one call.
    public func gatedReadCall(
        tenantID: String, policy: RateLimitPolicy, key: StatusCacheKey, lockMilliseconds: Int, cells: Int = 1
    ) -> RedisScriptCall {
        let decision = call(tenantID: tenantID, policy: policy, write: false)
        return RedisScriptCall(
            Self.gatedReadScript, keys: decision.keys + [key.entry, key.lock],
            arguments: decision.arguments + ["", "", String(lockMilliseconds), String(cells)])
    }

    /// The verdict, the general budget's cells taken and, when the request was allowed,
    /// the reply to hand to `StatusCache.read(from:)`.
    public func gatedRead(from reply: RedisReply, policy: RateLimitPolicy) throws(CacheError) -> (RateLimitVerdict, Int, RedisReply?) {
        guard case .array(let parts) = reply, parts.count == 5 || parts.count == 7 else {
            if case .error(let text) = reply { throw .reply(text) }
            throw .unexpectedReply("gated read: \(reply)")
        }
        let (verdict, taken) = try takenVerdict(from: .array(Array(parts[0..<5])), policy: policy)
        return (verdict, taken, parts.count == 7 ? .array(Array(parts[5..<7])) : nil)
    }

    /// Milliseconds as whole microseconds, the script's unit.
    static func microseconds(_ milliseconds: Double) -> String { String(Int64((milliseconds * 1000).rounded())) }

    /// Reads the script's reply into the verdict the answer's headers come from.
    public func verdict(from reply: RedisReply, policy: RateLimitPolicy) throws(CacheError) -> RateLimitVerdict {
        try takenVerdict(from: reply, policy: policy).verdict
    }

    /// The verdict and the general budget's cells taken (0 when refused).
    public func takenVerdict(from reply: RedisReply, policy: RateLimitPolicy) throws(CacheError) -> (verdict: RateLimitVerdict, taken: Int) {
        guard case .array(let parts) = reply, parts.count == 5 || parts.count == 9 else {
            if case .error(let text) = reply { throw .reply(text) }
            throw .unexpectedReply("rate limit: \(reply)")
        }
        var values: [Int64] = []
        values.reserveCapacity(parts.count)
        for part in parts {
            guard let value = part.integer else { throw .unexpectedReply("rate limit: \(reply)") }
            values.append(value)
        }
        let now = Double(values[0]) / 1000
        func decision(at index: Int) -> GCRA.Decision {
            GCRA.Decision(
                allowed: values[index] >= 1, newTAT: 0, remaining: Int(values[index + 1]),
                retryAfterMilliseconds: Double(values[index + 2]) / 1000, resetAfterMilliseconds: Double(values[index + 3]) / 1000)
        }
        let general = RateLimitVerdict(
            policyName: "default", limit: policy.limit, windowSeconds: policy.windowSeconds, decision: decision(at: 1), nowMilliseconds: now)
        let taken = Int(max(0, values[1]))
        guard parts.count == 9, let writeLimit = policy.writeLimit else { return (general, taken) }
        let writes = RateLimitVerdict(
            policyName: "writes", limit: writeLimit, windowSeconds: policy.windowSeconds, decision: decision(at: 5), nowMilliseconds: now)
        return (RateLimitVerdict.combine(general, writes), taken)
    }

    /// Decides one request in one round trip.
    public func check(_ redis: RedisConnection, tenantID: String, policy: RateLimitPolicy, write: Bool) throws(CacheError) -> RateLimitVerdict {
        let reply = try redis.evaluate([call(tenantID: tenantID, policy: policy, write: write)])[0]
        return try verdict(from: reply, policy: policy)
    }
}
