import BatchCodecs
public import BatchModel
import Glibc

/// Claiming items under a lease, committing their results behind a fence, and
/// rescuing leases whose worker died. Every method is one `BEGIN IMMEDIATE`
/// transaction that moves items and their batch's counters together, so status
/// documents never need to count items.
public struct ItemLeases {
    let connection: any StoreConnection

    public init(_ connection: any StoreConnection) { self.connection = connection }

    /// The most errors' file names an error summary keeps per type.
    public static let affectedFilesCap = 10

    /// Leases up to `limit` pending items of one runnable batch to `owner` until
    /// `now + leaseSeconds`. The batch is the first by priority (high first), then
    /// by its tenant's items in flight (fewest first: fairness between tenants),
    /// then the one served least recently; `max_concurrent` is never exceeded, and
    /// nothing is claimed from a batch whose completion window has passed.
    /// Returns no items when nothing is runnable.
    public func claim(owner: String, limit: Int, leaseSeconds: Int, now: Timestamp = .now()) throws(StoreError) -> [ClaimedItem] {
        try claim(owner: owner, leaseSeconds: leaseSeconds, now: now, sizes: ClaimSizes(otherwise: limit))
    }

    /// As above, with the number of items to claim chosen by the batch's processor.
    ///
    /// On PostgreSQL a runnable batch that another transaction holds (a claim or a
    /// completion on any node, for a few milliseconds) is skipped; when every
    /// runnable batch was, the claim is tried again after a short pause, growing
    /// from 0.2 ms, rather than answering "nothing to claim" (which idles a worker
    /// for its whole interval while work waits).
    ///
    /// `lookFirst` (a worker whose last claim found nothing): on PostgreSQL, a
    /// read of whether any batch is runnable comes before the claim's
    /// transaction, so an idle node's polls are one cheap read each rather than
    /// a locking statement in a transaction (idle workers had cost PostgreSQL
    /// about 9 % of a core); a busy worker claims straight away, in one round
    /// trip. SQLite always looks first: every worker polls 20 times a second,
    /// and a write transaction each time was idle CPU and turns taken from the
    /// API's writers. (Work that appears right after the look waits one
    /// interval, as it would have waited for the next poll.)
    public func claim(
        owner: String, leaseSeconds: Int, now: Timestamp = .now(), sizes: ClaimSizes, lookFirst: Bool = false
    ) throws(StoreError) -> [ClaimedItem] {
        if lookFirst || connection.dialect == .sqlite, try !anyRunnable(now: now) { return [] }
        var pause: UInt32 = 200
        for attempt in 1...Self.busyTries {
            let outcome =
                connection.dialect == .postgres
                ? try claimOncePostgres(owner: owner, leaseSeconds: leaseSeconds, now: now, sizes: sizes)
                : try claimOnce(owner: owner, leaseSeconds: leaseSeconds, now: now, sizes: sizes)
            switch outcome {
            case .claimed(let items) where items.isEmpty && connection.dialect == .postgres && attempt == 1:
                // The batch's claim cursor was past its pending items (it is a hint):
                // the claim reset it, and the next one reads from the start.
                continue
            case .claimed(let items): return items
            case .nothingRunnable: return []
            case .busy where attempt < Self.busyTries:
                usleep(pause)
                pause *= 2
            case .busy: return []
            }
        }
        return []
    }

    /// Tries before a claim that found every runnable batch held reports nothing
    /// (pauses of 0.2, 0.4, 0.8 and 1.6 ms between them: 3 ms in all).
    static let busyTries = 5

    private enum ClaimAttempt {
        case claimed([ClaimedItem])
        case nothingRunnable
        /// Runnable batches exist, and other transactions hold every one.
        case busy
    }

    /// Whether any batch is runnable, locked or not: a read, outside any transaction.
    private func anyRunnable(now: Timestamp) throws(StoreError) -> Bool {
        try connection.statement(Self.anyRunnableSQL).bind(.integer(now.milliseconds)).firstRow({ _ in true }) != nil
    }

    /// One claim on SQLite, whose one writer at a time makes it exact (the
    /// caller has looked for a runnable batch first).
    private func claimOnce(owner: String, leaseSeconds: Int, now: Timestamp, sizes: ClaimSizes) throws(StoreError) -> ClaimAttempt {
        try connection.transaction {
            () throws(StoreError) -> ClaimAttempt in
            let candidate = try connection.statement(Self.candidateSQL).bind(.integer(now.milliseconds))
                .firstRow { row in
                    (
                        row.text(0), row.text(1), row.text(2), row.text(3), Int(row.int(4)), Int(row.int(5)), row.int(6) == 1, row.int(7) == 1,
                        Int(row.int(8))
                    )
                }
            guard let (batchID, tenantID, processor, collection, timeout, free, forceOverwrite, starting, claimFrom) = candidate else {
                return .nothingRunnable
            }
            let ms = now.milliseconds
            let claimItems = try connection.statement(Self.claimItemsSQL)
            let limit = max(1, min(sizes.size(for: processor), free))
            let pick = { (from: Int) throws(StoreError) -> [ClaimedItem] in
                try claimItems.bind(.text(owner), .integer(ms + Int64(leaseSeconds) * 1000), .integer(ms), .text(batchID), .int(limit), .int(from))
                    .rows { row in
                        ClaimedItem(
                            id: row.text(0), batchID: batchID, tenantID: tenantID, seq: Int(row.int(1)), attempt: Int(row.int(2)), leaseOwner: owner,
                            processor: processor, collection: collection, forceOverwrite: forceOverwrite, timeoutSeconds: timeout,
                            content: row.isNull(3) ? nil : row.blob(3),
                            filePath: row.optionalText(4), filename: row.optionalText(5), customID: row.optionalText(6), context: row.optionalText(7),
                            crashes: Int(row.int(8)))
                    }
            }
            // From the batch's claim cursor; should nothing be pending past it while
            // its counters say otherwise, from the start (the cursor is only a hint).
            var items = try pick(claimFrom)
            if items.isEmpty && claimFrom > 0 { items = try pick(0) }
            try LeaseChecks(connection).add(batchID: batchID, seqs: items.map(\.seq), leaseUntil: ms + Int64(leaseSeconds) * 1000)
            let nextClaimFrom = items.map { $0.seq + 1 }.max() ?? claimFrom
            let moveBatch = try connection.statement(Self.claimBatchSQL).bind(.int(items.count), .integer(ms), .text(batchID), .int(nextClaimFrom))
            if let version = try moveBatch.firstRow({ Int($0.int(0)) }), starting {
                // created -> running is visible in status documents.
                connection.changedBatches[BatchIdentity(tenantID: tenantID, batchID: batchID)] = version
            }
            return .claimed(items.sorted { $0.seq < $1.seq })
        }
    }

    /// One claim on PostgreSQL: choosing the batch (its row locked, one another
    /// transaction holds skipped), taking its items and moving its counters are
    /// one statement (`claimPostgresSQL`), sent with BEGIN and COMMIT in one
    /// round trip, so the batch row is held only while the server runs it, never
    /// across a round trip to this process: every claim and completion of a batch
    /// on every node waits for that row.
    private func claimOncePostgres(owner: String, leaseSeconds: Int, now: Timestamp, sizes: ClaimSizes) throws(StoreError) -> ClaimAttempt {
        let ms = now.milliseconds
        var limits = JSONObject()
        for (name, size) in sizes.byProcessor { limits[name] = .integer(Int64(size)) }
        var batch: (identity: BatchIdentity, version: Int, starting: Bool)?
        var items: [ClaimedItem] = []
        try connection.transaction {
            () throws(StoreError) in
            try connection.statement(Self.claimPlanPostgresSQL).enqueue()
            try connection.statement(Self.claimPostgresSQL).bind(
                .integer(ms), .text(owner), .integer(ms + Int64(leaseSeconds) * 1000), .text(JSONWriter.string(.object(limits))),
                .int(sizes.otherwise)
            ).enqueueReading { row in
                let (batchID, tenantID) = (row.text(0), row.text(1))
                batch = (BatchIdentity(tenantID: tenantID, batchID: batchID), Int(row.int(7)), row.int(6) == 1)
                guard !row.isNull(8) else { return }
                items.append(
                    ClaimedItem(
                        id: row.text(8), batchID: batchID, tenantID: tenantID, seq: Int(row.int(9)), attempt: Int(row.int(10)), leaseOwner: owner,
                        processor: row.text(2), collection: row.text(3), forceOverwrite: row.int(5) == 1, timeoutSeconds: Int(row.int(4)),
                        content: row.isNull(11) ? nil : row.blob(11), filePath: row.optionalText(12), filename: row.optionalText(13),
                        customID: row.optionalText(14), context: row.optionalText(15), crashes: Int(row.int(16))))
            }
        }
        guard let batch else {
            guard try anyRunnable(now: now) else { return .nothingRunnable }
            return .busy
        }
        // created -> running is visible in status documents.
        if batch.starting { connection.changedBatches[batch.identity] = batch.version }
        return .claimed(items.sorted { $0.seq < $1.seq })
    }

    /// Commits results in one transaction. A result counts only while its worker
    /// still holds the lease (same owner and attempt, still processing): a late,
    /// duplicate or cancelled finish changes nothing. Returns how many counted.
    @discardableResult
    public func complete(_ completions: [ItemCompletion], now: Timestamp = .now()) throws(StoreError) -> Int {
        guard !completions.isEmpty else { return 0 }
        return try connection.transaction {
            () throws(StoreError) -> Int in
            var counted = 0
            var moves = BatchCounterMoves()
            var totals: [String: CompletionTotals] = [:]
            var results: [(completion: ItemCompletion, values: [SQLiteValue], usage: Usage)] = []
            for completion in completions {
                let item = completion.item
                if case .crashed = completion.outcome, item.crashes + 1 < ItemOutcome.crashLimit {
                    if try retryAfterCrash(item) { moves.returnedToPending(item.batchID, seq: item.seq) }
                    continue
                }
                var values: [SQLiteValue]
                var usage = Usage.none
                var mediaID: String?
                switch completion.outcome {
                case .succeeded(var result, let mediaType, let reported, let media):
                    usage = reported
                    if let media, try isHeld(item) {
                        let (id, duplicate) = try recordMedia(media, item: item, now: now)
                        mediaID = id
                        if case .object(var object) = result {
                            object["media_id"] = .string(id)
                            object["duplicate"] = .bool(duplicate)
                            result = .object(object)
                        }
                    }
                    values = [
                        .text(ItemState.target(of: .succeed).rawValue), .integer(now.milliseconds), .integer(completion.durationMilliseconds),
                        .optionalText(result.map(JSONWriter.string)), .null, .null, .null, .optionalText(mediaType),
                    ]
                case .failed(let type, let message, let details):
                    values = [
                        .text(ItemState.target(of: .fail).rawValue), .integer(now.milliseconds), .integer(completion.durationMilliseconds),
                        .null, .text(type), .text(message), .optionalText(details.map(JSONWriter.string)), .null,
                    ]
                case .crashed(let type, let message):
                    let details: JSONValue = ["crashes": .integer(item.crashes + 1)]
                    values = [
                        .text(ItemState.target(of: .fail).rawValue), .integer(now.milliseconds), .integer(completion.durationMilliseconds),
                        .null, .text(type), .text(message), .text(JSONWriter.string(details)), .null,
                    ]
                }
                values += [
                    .integer(usage.costCents), .integer(usage.inputTokens), .integer(usage.outputTokens), .optionalText(mediaID),
                    .text(item.id), .text(item.leaseOwner), .int(item.attempt),
                ]
                results.append((completion, values, usage))
            }
            // The fenced updates: one statement an item on SQLite (in process), one
            // statement for all of them on PostgreSQL (a round trip each otherwise).
            // A result given twice in one call counts once, as a second fenced update would not match.
            var held = try writeResults(results.map(\.values))
            for (completion, _, usage) in results where held.remove(completion.item.id) != nil {
                let item = completion.item
                counted += 1
                let succeeded = if case .succeeded = completion.outcome { 1 } else { 0 }
                if case .crashed = completion.outcome {
                    try connection.statement("UPDATE items SET crashes = crashes + 1 WHERE id = ?").bind(.text(item.id)).enqueue()
                }
                totals[item.batchID, default: CompletionTotals()].add(
                    succeeded: succeeded, milliseconds: completion.durationMilliseconds, usage: usage)
                switch completion.outcome {
                case .failed(let type, _, _), .crashed(let type, _): try recordError(type: type, file: item.displayName, batchID: item.batchID)
                case .succeeded: break
                }
            }
            // One counter update a batch, not one an item, batches in id order
            // (`BatchCounterMoves`); on PostgreSQL sent with the finishing checks in
            // one round trip.
            for batchID in Set(totals.keys).union(moves.batchIDs).sorted() {
                try moves.write(batchID, on: connection)
                if let total = totals[batchID] {
                    try connection.statement(
                        """
                        UPDATE batches SET n_processing = n_processing - ?1, n_succeeded = n_succeeded + ?2, n_failed = n_failed + ?1 - ?2,
                            item_time_ms = item_time_ms + ?3, cost_cents = cost_cents + ?4, input_tokens = input_tokens + ?5,
                            output_tokens = output_tokens + ?6, updated_at = ?7, version = version + 1
                        WHERE id = ?8
                        """
                    ).bind(
                        .int(total.count), .int(total.succeeded), .integer(total.milliseconds), .integer(total.costCents),
                        .integer(total.inputTokens),
                        .integer(total.outputTokens), .integer(now.milliseconds), .text(batchID)
                    ).enqueue()
                }
                try BatchRecords(connection).finishIfDone(batchID: batchID, now: now)
            }
            return counted
        }
    }

    /// Writes each result (`completeSQL`'s 15 values) where its lease is still
    /// held; the ids of the items written.
    private func writeResults(_ rows: [[SQLiteValue]]) throws(StoreError) -> Set<String> {
        var written: Set<String> = []
        guard !rows.isEmpty else { return written }
        if connection.dialect == .postgres {
            let ids = try connection.statement(Self.completeManyPostgresSQL(rows: rows.count)).bind(rows.flatMap { $0 }).rows { $0.text(0) }
            return Set(ids)
        }
        let update = try connection.statement(Self.completeSQL)
        for values in rows {
            try update.bind(values).run()
            if connection.changes == 1, case .text(let id) = values[12] { written.insert(id) }
        }
        return written
    }

    /// Creates the media record of an ingested item, or finds the collection's
    /// existing one with the same content (skipped as a duplicate unless the batch
    /// forces overwrites). Returns the media id and whether it was a duplicate.
    private func recordMedia(_ media: NewMedia, item: ClaimedItem, now: Timestamp) throws(StoreError) -> (String, Bool) {
        if !item.forceOverwrite,
            let existing = try connection.statement("SELECT id FROM media WHERE tenant_id = ? AND collection = ? AND sha256 = ? LIMIT 1")
                .bind(.text(item.tenantID), .text(item.collection), .text(media.sha256)).firstRow({ $0.text(0) })
        {
            return (existing, true)
        }
        let id = ResourceID.make(.media)
        try connection.statement(
            """
            INSERT INTO media (id, tenant_id, collection, batch_id, item_id, media_type, mime, filename, size_bytes, sha256, metadata, created_at)
            VALUES (?,?,?,?,?,?,?,?,?,?,?,?)
            """
        ).bind(
            .text(id), .text(item.tenantID), .text(item.collection), .text(item.batchID), .text(item.id), .text(media.mediaType), .text(media.mime),
            .optionalText(item.filename ?? item.filePath), .integer(media.sizeBytes), .text(media.sha256),
            .text(JSONWriter.string(.object(media.metadata))),
            .integer(now.milliseconds)
        ).run()
        try connection.statement(
            """
            INSERT INTO batch_media_counts (batch_id, media_type, count, bytes) VALUES (?1, ?2, 1, ?3)
            ON CONFLICT (batch_id, media_type) DO UPDATE SET count = batch_media_counts.count + 1, bytes = batch_media_counts.bytes + ?3
            """
        ).bind(.text(item.batchID), .text(media.mediaType), .integer(media.sizeBytes)).run()
        return (id, false)
    }

    /// Adds one failure to the batch's summary for its type, keeping at most
    /// `affectedFilesCap` file names.
    private func recordError(type: String, file: String, batchID: String) throws(StoreError) {
        try connection.statement(connection.dialect == .sqlite ? Self.recordErrorSQL : Self.recordErrorPostgresSQL)
            .bind(.text(batchID), .text(type), .text(file), .int(Self.affectedFilesCap)).enqueue()
    }

    /// After the first death of the process running it: the item goes back to
    /// pending at once (its lease released, not left to expire), its crash counted.
    /// False when the lease was no longer held. The batch's counters are the
    /// caller's (`BatchCounterMoves`).
    private func retryAfterCrash(_ item: ClaimedItem) throws(StoreError) -> Bool {
        try connection.statement(Self.retryAfterCrashSQL).bind(.text(item.id), .text(item.leaseOwner), .int(item.attempt)).run()
        return connection.changes == 1
    }

    /// Items that were running when this server's previous process died of a
    /// fatal signal (its crash journal): each such death counts against the item
    /// as `.crashed` does, and the item is released at once: back to pending
    /// after the first, failed for good (`processing_error`) after the second.
    /// Returns how many were retried and how many failed.
    @discardableResult
    public func recordServerCrash(itemIDs: [String], now: Timestamp = .now()) throws(StoreError) -> (retried: Int, failed: Int) {
        guard !itemIDs.isEmpty else { return (0, 0) }
        return try connection.transaction {
            () throws(StoreError) -> (retried: Int, failed: Int) in
            var retried = 0
            var failed = 0
            var moves = BatchCounterMoves()
            // On PostgreSQL every item is locked first, in id order, and only then
            // moved: another node's rescue may hold some of them, and taking batch
            // rows between item locks would deadlock with it.
            let select = try connection.statement(
                "SELECT batch_id, crashes, coalesce(filename, custom_id, id), seq FROM items WHERE id = ? AND \(Self.held)"
                    + (connection.dialect == .postgres ? " FOR UPDATE" : ""))
            var held: [(id: String, batchID: String, crashes: Int, name: String, seq: Int)] = []
            for id in Set(itemIDs).sorted() {
                if let found = try select.bind(.text(id)).firstRow({ (id, $0.text(0), Int($0.int(1)) + 1, $0.text(2), Int($0.int(3))) }) {
                    held.append(found)
                }
            }
            for (id, batchID, crashes, name, seq) in held {
                if crashes >= ItemOutcome.crashLimit {
                    if try failUnfinished(
                        id: id, batchID: batchID, name: name, message: "batchd died \(crashes) times while processing this item", crashes: crashes,
                        now: now)
                    {
                        moves.failedForGood(batchID)
                        failed += 1
                    }
                } else if try returnUnfinished(id: id, crashes: crashes) {
                    moves.returnedToPending(batchID, seq: seq)
                    retried += 1
                }
            }
            try moves.writeAll(on: connection, now: now)
            return (retried, failed)
        }
    }

    /// Extends a lease; false when it is no longer held (cancelled, rescued or finished).
    public func renew(_ item: ClaimedItem, leaseSeconds: Int, now: Timestamp = .now()) throws(StoreError) -> Bool {
        try connection.statement(
            "UPDATE items SET lease_until = ? WHERE id = ? AND \(Self.held) AND lease_owner = ? AND attempt = ?"
        ).bind(.integer(now.milliseconds + Int64(leaseSeconds) * 1000), .text(item.id), .text(item.leaseOwner), .int(item.attempt)).run()
        return connection.changes == 1
    }

    /// Whether `item`'s lease is still held, without changing it.
    public func isHeld(_ item: ClaimedItem) throws(StoreError) -> Bool {
        try connection.statement("SELECT 1 FROM items WHERE id = ? AND \(Self.held) AND lease_owner = ? AND attempt = ?")
            .bind(.text(item.id), .text(item.leaseOwner), .int(item.attempt)).firstRow { _ in true } ?? false
    }

    /// Gives back leases: items go to pending with their attempt undone, as if
    /// never claimed. For a graceful stop with claimed items not yet started.
    public func release(_ items: [ClaimedItem], now: Timestamp = .now()) throws(StoreError) {
        guard !items.isEmpty else { return }
        try connection.transaction {
            () throws(StoreError) in
            var moves = BatchCounterMoves()
            for item in items {
                try connection.statement(Self.releaseSQL).bind(.text(item.id), .text(item.leaseOwner), .int(item.attempt)).run()
                if connection.changes == 1 { moves.returnedToPending(item.batchID, seq: item.seq) }
            }
            try moves.writeAll(on: connection, now: now)
        }
    }

    /// Items whose lease ran out (their worker died or hung) go back to pending,
    /// attempt kept; after `maxAttempts` they fail with `processing_error`.
    /// Returns how many were rescued and how many failed.
    ///
    /// Finds them through the due lease checks (`LeaseChecks`): first every due
    /// check with nothing leased left in its range goes, in one statement (the
    /// usual case: its items finished long ago); then up to `limit` checks with
    /// leased items are read, their expired items moved and each check moved to
    /// the earliest lease still held in its range, or removed.
    @discardableResult
    public func rescueExpired(maxAttempts: Int, limit: Int = 200, now: Timestamp = .now()) throws(StoreError) -> (rescued: Int, failed: Int) {
        try connection.transaction { () throws(StoreError) in
            try connection.statement(Self.dropSettledChecksSQL).bind(.integer(now.milliseconds)).run()
        }
        return try connection.transaction {
            () throws(StoreError) -> (rescued: Int, failed: Int) in
            let checks = LeaseChecks(connection)
            var rescued = 0
            var failed = 0
            var moves = BatchCounterMoves()
            let leased = try connection.statement(connection.dialect == .postgres ? Self.leasedInRangePostgresSQL : Self.leasedInRangeSQL)
            let counted = try connection.statement(Self.countLeasedInRangeSQL)
            for check in try checks.due(now: now, limit: limit) {
                let range: [SQLiteValue] = [.text(check.batchID), .int(check.seqs.lowerBound), .int(check.seqs.upperBound)]
                // On PostgreSQL an item another transaction holds is skipped; when
                // one was, the check is due again soon rather than dropped.
                let inRange = connection.dialect == .postgres ? try counted.bind(range).firstRow { Int($0.int(0)) } ?? 0 : nil
                let items = try leased.bind(range).rows {
                    (id: $0.text(0), attempt: Int($0.int(1)), name: $0.text(2), seq: Int($0.int(3)), leaseUntil: $0.int(4))
                }
                var next: Int64? = items.filter { $0.leaseUntil >= now.milliseconds }.map(\.leaseUntil).min()
                if let inRange, inRange > items.count { next = min(next ?? .max, now.milliseconds + Self.skippedRecheckMilliseconds) }
                for item in items where item.leaseUntil < now.milliseconds {
                    if item.attempt >= maxAttempts {
                        if try failUnfinished(
                            id: item.id, batchID: check.batchID, name: item.name,
                            message: "Processing did not finish after \(item.attempt) attempts", crashes: nil, now: now)
                        {
                            moves.failedForGood(check.batchID)
                            failed += 1
                        }
                    } else if try returnUnfinished(id: item.id, crashes: nil) {
                        moves.returnedToPending(check.batchID, seq: item.seq)
                        rescued += 1
                    }
                }
                try checks.settle(check, next: next)
            }
            try moves.writeAll(on: connection, now: now)
            return (rescued, failed)
        }
    }

    /// How soon a check whose items another transaction held is read again.
    static let skippedRecheckMilliseconds: Int64 = 1000

    /// An item whose processing never finished fails for good with
    /// `processing_error` (its crash count recorded when given), and its error
    /// is summarized; false when it was no longer held. The batch's counters are
    /// the caller's (`BatchCounterMoves`).
    private func failUnfinished(id: String, batchID: String, name: String, message: String, crashes: Int?, now: Timestamp) throws(StoreError) -> Bool
    {
        try connection.statement(Self.failUnfinishedSQL).bind(
            .integer(now.milliseconds), .text(message), .optionalText(crashes.map { JSONWriter.string(["crashes": .integer($0)]) }),
            crashes.map { SQLiteValue.int($0) } ?? .null, .text(id)
        ).run()
        guard connection.changes == 1 else { return false }
        try recordError(type: "processing_error", file: name, batchID: batchID)
        return true
    }

    /// An item whose processing never finished goes back to pending, attempt kept
    /// (its crash count updated when given); false when it was no longer held.
    /// The batch's counters are the caller's (`BatchCounterMoves`).
    private func returnUnfinished(id: String, crashes: Int?) throws(StoreError) -> Bool {
        try connection.statement(Self.returnUnfinishedSQL)
            .bind(crashes.map { SQLiteValue.int($0) } ?? .null, .text(id)).run()
        return connection.changes == 1
    }
}

// The statements that move items, their states from the state machines (`StateSQL`).
extension ItemLeases {
    /// An item under a lease: the state a claim leads to.
    static let held = "status = \(StateSQL.literal(ItemState.leased))"

    /// A batch items may be claimed from now (`?1`: now in milliseconds).
    static let runnableBatch = """
        b.status IN (\(StateSQL.list(BatchState.runnable))) AND b.n_pending > 0 AND b.n_processing < b.max_concurrent
            AND (b.completion_window IS NULL OR b.created_at + b.completion_window * 1000 > ?1)
        """

    /// Whether any batch is runnable, locked or not.
    static let anyRunnableSQL = "SELECT 1 FROM batches b WHERE \(runnableBatch) LIMIT 1"

    static let candidateSQL = """
        SELECT b.id, b.tenant_id, b.processor, b.collection, b.timeout_seconds, b.max_concurrent - b.n_processing, b.force_overwrite,
            b.status IN (\(StateSQL.list(BatchState.startMoves.map(\.from)))), b.claim_from
        FROM batches b
        WHERE \(runnableBatch)
        ORDER BY b.priority DESC,
            (SELECT coalesce(sum(o.n_processing), 0) FROM batches o
                WHERE o.tenant_id = b.tenant_id AND o.status IN (\(StateSQL.list(BatchState.runnable)))) ASC,
            b.last_claimed_at ASC, b.created_at ASC
        LIMIT 1
        """

    /// A claim on PostgreSQL, where several nodes claim at once, in one statement
    /// (`?1` now, `?2` the owner, `?3` the lease's end, `?4` claim sizes by
    /// processor as a JSON object, `?5` the size for any other): the chosen batch
    /// row is locked, and a batch another transaction holds is skipped rather than
    /// waited for, so `max_concurrent` and the counters stay exact and nodes spread
    /// over batches; fairness and priority are decided on the batch and tenant
    /// rows, never by scanning items. The batch's items are picked behind a
    /// materialized CTE from its claim cursor by the `(batch_id, seq)` key (back
    /// to the start next time when none was there), skipping any a concurrent
    /// transaction holds, and updated by the row addresses the pick locked (no
    /// second lookup by id, and no plan that could join the whole table); their
    /// lease checks are added and the batch's counters move with them. One row per item claimed, with the batch's
    /// columns; one row with no item when the batch gave none; none when no batch was free.
    static let claimPostgresSQL = """
        WITH cand (id, tenant_id, processor, collection, timeout_seconds, free, force_overwrite, starting, cursor) AS MATERIALIZED (
            \(candidateSQL) FOR UPDATE OF b SKIP LOCKED
        ),
        picked AS MATERIALIZED (
            SELECT ctid FROM items
            WHERE batch_id = (SELECT id FROM cand) AND \(StateSQL.itemsMovedBy(.claim)) AND seq >= (SELECT cursor FROM cand)
            ORDER BY seq
            LIMIT (SELECT greatest(1, least(coalesce((?4::jsonb ->> processor)::bigint, ?5::bigint), free)) FROM cand)
            FOR UPDATE SKIP LOCKED
        ),
        moved AS (
            UPDATE items SET status = \(StateSQL.target(of: .claim)), lease_owner = ?2, lease_until = ?3, attempt = attempt + 1, started_at = ?1
            WHERE ctid = ANY (ARRAY(SELECT ctid FROM picked))
            RETURNING items.id, items.seq, items.attempt, items.content, items.file_path, items.filename, items.custom_id, items.context, items.crashes
        ),
        moved_batch AS (
            UPDATE batches SET n_pending = n_pending - (SELECT count(*) FROM moved), n_processing = n_processing + (SELECT count(*) FROM moved),
                started_at = coalesce(started_at, ?1), status = \(StateSQL.batchStateAfterClaim), last_claimed_at = ?1, updated_at = ?1,
                claim_from = coalesce((SELECT max(seq) + 1 FROM moved), 0), version = version + 1
            WHERE id = (SELECT id FROM cand)
            RETURNING version
        ),
        checked AS (
            \(LeaseChecks.insertFromClaimPostgresSQL)
        )
        SELECT cand.id, cand.tenant_id, cand.processor, cand.collection, cand.timeout_seconds, cand.force_overwrite, cand.starting, moved_batch.version,
            moved.id, moved.seq, moved.attempt, moved.content, moved.file_path, moved.filename, moved.custom_id, moved.context, moved.crashes
        FROM cand CROSS JOIN moved_batch LEFT JOIN moved ON true
        """

    /// Sent before the claim, in its transaction: the claim's plan is fixed, not
    /// left to statistics. Its items are to be read in `seq` order along the
    /// `(batch_id, seq)` key from the cursor, the scan stopped after a few rows,
    /// and updated by address. The limit is computed in the statement, so the
    /// planner guesses a tenth of the batch; without statistics (a table just
    /// filled) it chose a bitmap scan of every item from the cursor on and a
    /// sort (60 ms for 100,000 items instead of 0.1), and a plan made while the
    /// table was empty (kept for the connection's life) updated by reading the
    /// whole table: scans and sorts are priced out for this transaction only.
    /// That makes the plan's cost huge, which would have PostgreSQL compile it
    /// to machine code at every run (seconds): no JIT for the claim either.
    /// `PostgresStoreTests.theClaimReadsItemsByKeyAndAddress` holds the plan.
    static let claimPlanPostgresSQL = """
        SELECT set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true),
            set_config('enable_sort', 'off', true), set_config('jit', 'off', true)
        """

    static let claimItemsSQL = """
        UPDATE items SET status = \(StateSQL.target(of: .claim)), lease_owner = ?1, lease_until = ?2, attempt = attempt + 1, started_at = ?3
        WHERE id IN (SELECT id FROM items WHERE batch_id = ?4 AND \(StateSQL.itemsMovedBy(.claim)) AND seq >= ?6 ORDER BY seq LIMIT ?5)
        RETURNING id, seq, attempt, content, file_path, filename, custom_id, context, crashes
        """

    static let claimBatchSQL = """
        UPDATE batches SET n_pending = n_pending - ?1, n_processing = n_processing + ?1, started_at = coalesce(started_at, ?2),
            status = \(StateSQL.batchStateAfterClaim), last_claimed_at = ?2, updated_at = ?2, claim_from = ?4, version = version + 1
        WHERE id = ?3
        RETURNING version
        """

    /// The outcome's state is bound (succeed or fail: both move from the leased state).
    static let completeSQL = """
        UPDATE items SET status = ?1, completed_at = ?2, duration_ms = ?3, result = ?4, error_type = ?5, error_message = ?6,
            error_details = ?7, media_type = ?8, cost_cents = ?9, input_tokens = ?10, output_tokens = ?11, media_id = ?12,
            lease_owner = NULL, lease_until = NULL
        WHERE id = ?13 AND \(StateSQL.itemsMovedBy(.succeed)) AND \(StateSQL.itemsMovedBy(.fail)) AND lease_owner = ?14 AND attempt = ?15
        """

    /// `completeSQL` for `rows` results at once on PostgreSQL: the same 15 values a
    /// row, the same fence, the ids of the rows written back.
    static func completeManyPostgresSQL(rows: Int) -> String {
        let tuples = (0..<rows).map { row in
            "(" + (1...15).map { "?\(row * 15 + $0)" }.joined(separator: ", ") + ")"
        }
        return """
            UPDATE items AS i SET status = v.status, completed_at = v.completed_at::bigint, duration_ms = v.duration_ms::bigint, result = v.result,
                error_type = v.error_type, error_message = v.error_message, error_details = v.error_details, media_type = v.media_type,
                cost_cents = v.cost_cents::bigint, input_tokens = v.input_tokens::bigint, output_tokens = v.output_tokens::bigint,
                media_id = v.media_id, lease_owner = NULL, lease_until = NULL
            FROM (VALUES \(tuples.joined(separator: ", "))) AS v(status, completed_at, duration_ms, result, error_type, error_message,
                error_details, media_type, cost_cents, input_tokens, output_tokens, media_id, id, owner, attempt)
            WHERE i.id = v.id AND i.\(StateSQL.itemsMovedBy(.succeed)) AND i.lease_owner = v.owner AND i.attempt = v.attempt::bigint
            RETURNING i.id
            """
    }

    static let retryAfterCrashSQL = """
        UPDATE items SET status = \(StateSQL.target(of: .rescue)), lease_owner = NULL, lease_until = NULL, crashes = crashes + 1
        WHERE id = ? AND \(StateSQL.itemsMovedBy(.rescue)) AND lease_owner = ? AND attempt = ?
        """

    static let releaseSQL = """
        UPDATE items SET status = \(StateSQL.target(of: .rescue)), lease_owner = NULL, lease_until = NULL, attempt = attempt - 1, started_at = NULL
        WHERE id = ? AND \(StateSQL.itemsMovedBy(.rescue)) AND lease_owner = ? AND attempt = ?
        """

    /// Held items in a check's range (`?1` the batch, `?2`...`?3` the seqs), by
    /// the `(batch_id, seq)` key.
    static let leasedInRangeSQL = """
        SELECT id, attempt, coalesce(filename, custom_id, id), seq, lease_until FROM items
        WHERE batch_id = ?1 AND seq BETWEEN ?2 AND ?3 AND \(held) ORDER BY seq
        """

    /// On PostgreSQL, where every node rescues: the rows are locked until the
    /// rescue commits, and rows another node is moving are left to it, so no
    /// item is returned (and counted back) twice.
    static let leasedInRangePostgresSQL = leasedInRangeSQL + " FOR UPDATE SKIP LOCKED"

    static let countLeasedInRangeSQL = "SELECT count(*) FROM items WHERE batch_id = ?1 AND seq BETWEEN ?2 AND ?3 AND \(held)"

    /// Due checks with nothing leased left in their range (`?1` now).
    static let dropSettledChecksSQL = """
        DELETE FROM lease_checks WHERE check_at < ?1 AND NOT EXISTS (
            SELECT 1 FROM items WHERE items.batch_id = lease_checks.batch_id
                AND items.seq BETWEEN lease_checks.first_seq AND lease_checks.last_seq AND items.\(held))
        """

    static let failUnfinishedSQL = """
        UPDATE items SET status = \(StateSQL.target(of: .fail)), completed_at = ?1, error_type = 'processing_error', error_message = ?2,
            error_details = ?3, crashes = coalesce(?4, crashes), lease_owner = NULL, lease_until = NULL WHERE id = ?5 AND \(StateSQL.itemsMovedBy(.fail))
        """

    static let returnUnfinishedSQL = """
        UPDATE items SET status = \(StateSQL.target(of: .rescue)), lease_owner = NULL, lease_until = NULL, crashes = coalesce(?1, crashes)
        WHERE id = ?2 AND \(StateSQL.itemsMovedBy(.rescue))
        """

    /// The error summary's upsert: JSON functions are the one thing the two
    /// dialects spell differently here (`affected_files` is a JSON array as text).
    static let recordErrorSQL = """
        INSERT INTO batch_errors (batch_id, error_type, count, affected_files) VALUES (?1, ?2, 1, json_array(?3))
        ON CONFLICT (batch_id, error_type) DO UPDATE SET count = count + 1,
            affected_files = CASE WHEN json_array_length(affected_files) < ?4
                THEN json_insert(affected_files, '$[#]', ?3) ELSE affected_files END
        """

    static let recordErrorPostgresSQL = """
        INSERT INTO batch_errors (batch_id, error_type, count, affected_files) VALUES (?1, ?2, 1, jsonb_build_array(?3::text)::text)
        ON CONFLICT (batch_id, error_type) DO UPDATE SET count = batch_errors.count + 1,
            affected_files = CASE WHEN jsonb_array_length(batch_errors.affected_files::jsonb) < ?4::bigint
                THEN (batch_errors.affected_files::jsonb || jsonb_build_array(?3::text))::text ELSE batch_errors.affected_files END
        """
}

/// What one `complete` call adds to one batch's counters.
private struct CompletionTotals {
    var count = 0
    var succeeded = 0
    var milliseconds: Int64 = 0
    var costCents: Int64 = 0
    var inputTokens: Int64 = 0
    var outputTokens: Int64 = 0

    mutating func add(succeeded: Int, milliseconds: Int64, usage: Usage) {
        count += 1
        self.succeeded += succeeded
        self.milliseconds += milliseconds
        costCents += usage.costCents
        inputTokens += usage.inputTokens
        outputTokens += usage.outputTokens
    }
}
