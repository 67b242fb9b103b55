public import BatchModel

/// Per-tenant GCRA in Redis: one script call a request decides the tenant's
/// general budget and, for writes, its write budget, on Redis's clock, so the
/// limit holds across every worker thread and every batchd process sharing the
/// Redis. A refusal consumes nothing. The arithmetic is `GCRA.decide`'s.
public struct RedisRateLimiter: Sendable {
    /// The decision, as a Lua fragment that leaves its answer in `out`.
    /// KEYS[1]: the general TAT; KEYS[2]: the write TAT (writes only, when ARGV[3] is set).
    /// ARGV[1..2]: interval and burst offset (µs) of the general budget; ARGV[3..4] the
    /// write budget's or empty. Times are whole microseconds on Redis's clock, so
    /// `out` goes back as integer replies: now, then allowed (1/0), remaining,
    /// retry and reset (µs) of each budget.
    static let decision = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local function decide(key, interval, offset)
          local tat = tonumber(redis.call('GET', key) or '') or now
          if tat < now then tat = now end
          local new = math.floor(tat + interval + 0.5)
          local allow_at = new - offset
          if now < allow_at then return {0, tat, 0, math.ceil(allow_at - now), tat - now} end
          local remaining = math.floor((now + offset - new) / interval)
          if remaining < 0 then remaining = 0 end
          return {1, new, remaining, 0, new - now}
        end
        local g = decide(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))
        local w = nil
        if ARGV[3] and ARGV[3] ~= '' then w = decide(KEYS[2], tonumber(ARGV[3]), tonumber(ARGV[4])) end
        local allowed = g[1] == 1 and (w == nil or w[1] == 1)
        if allowed then
          redis.call('SET', KEYS[1], string.format('%.0f', g[2]), 'PX', math.ceil((g[2] - now) / 1000) + 1000)
          if w then redis.call('SET', KEYS[2], string.format('%.0f', w[2]), 'PX', math.ceil((w[2] - now) / 1000) + 1000) end
        end
        local out = {now, g[1], g[3], g[4], g[5]}
        if w then
          table.insert(out, w[1]); table.insert(out, w[3]); table.insert(out, w[4]); table.insert(out, w[5])
        end

        """

    static let script = RedisScript(name: "gcra", source: decision + "return out\n")

    /// The decision for a read, and when allowed the status-cache read of
    /// `StatusCache.readScript` in the same call (KEYS[2]: entry, KEYS[3]: lock,
    /// ARGV[5]: lock ms): one script, one round trip for a cached answer.
    static let gatedReadScript = RedisScript(
        name: "gcra_status_read",
        source: decision + """
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

    /// The script call deciding one request of `tenantID` (to run alone, or pipelined with others).
    public func call(tenantID: String, policy: RateLimitPolicy, write: Bool) -> RedisScriptCall {
        let general = policy.requests
        // The policy is part of the key: a changed limit starts the tenant's budget afresh
        // instead of holding it to usage counted under the old one.
        let policyTag = "\(policy.limit)/\(policy.windowSeconds)/\(policy.burst)"
        var keys = ["\(StatusCacheKey.prefix(tenantID))rl:\(policyTag)"]
        var arguments = [Self.microseconds(general.intervalMilliseconds), Self.microseconds(general.burstOffsetMilliseconds)]
        if write, let writes = policy.writes {
            keys.append("\(StatusCacheKey.prefix(tenantID))rlw:\(policyTag)/\(writes.limit)")
            arguments += [Self.microseconds(writes.intervalMilliseconds), Self.microseconds(writes.burstOffsetMilliseconds)]
        }
        return RedisScriptCall(Self.script, keys: keys, arguments: arguments)
    }

    /// A read's decision and, when allowed, its status-cache read, in one call.
    public func gatedReadCall(tenantID: String, policy: RateLimitPolicy, key: StatusCacheKey, lockMilliseconds: Int) -> RedisScriptCall {
        let decision = call(tenantID: tenantID, policy: policy, write: false)
        return RedisScriptCall(
            Self.gatedReadScript, keys: decision.keys + [key.entry, key.lock],
            arguments: decision.arguments + ["", "", String(lockMilliseconds)])
    }

    /// The verdict and, when the request was allowed, the reply to hand to
    /// `StatusCache.read(from:)`.
    public func gatedRead(from reply: RedisReply, policy: RateLimitPolicy) throws(CacheError) -> (RateLimitVerdict, RedisReply?) {
        guard case .array(let parts) = reply, parts.count == 5 || parts.count == 7 else {
            if case .error(let text) = reply { throw .reply(text) }
            throw .unexpectedReply("gated read: \(reply)")
        }
        let verdict = try self.verdict(from: .array(Array(parts[0..<5])), policy: policy)
        return (verdict, parts.count == 7 ? .array(Array(parts[5..<7])) : nil)
    }

    /// Milliseconds as whole microseconds, the script's unit.
    static func microseconds(_ milliseconds: Double) -> String { String(Int64((milliseconds * 1000).rounded())) }

    /// Reads the script's reply into the verdict the answer's headers come from.
    public func verdict(from reply: RedisReply, policy: RateLimitPolicy) throws(CacheError) -> RateLimitVerdict {
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
                allowed: values[index] == 1, newTAT: 0, remaining: Int(values[index + 1]),
                retryAfterMilliseconds: Double(values[index + 2]) / 1000, resetAfterMilliseconds: Double(values[index + 3]) / 1000)
        }
        let general = RateLimitVerdict(
            policyName: "default", limit: policy.limit, windowSeconds: policy.windowSeconds, decision: decision(at: 1), nowMilliseconds: now)
        guard parts.count == 9, let writeLimit = policy.writeLimit else { return general }
        let writes = RateLimitVerdict(
            policyName: "writes", limit: writeLimit, windowSeconds: policy.windowSeconds, decision: decision(at: 5), nowMilliseconds: now)
        return RateLimitVerdict.combine(general, writes)
    }

    /// Decides one request in one round trip.
    public func check(_ redis: RedisConnection, tenantID: String, policy: RateLimitPolicy, write: Bool) throws(CacheError) -> RateLimitVerdict {
        let reply = try redis.evaluate([call(tenantID: tenantID, policy: policy, write: write)])[0]
        return try verdict(from: reply, policy: policy)
    }
}
