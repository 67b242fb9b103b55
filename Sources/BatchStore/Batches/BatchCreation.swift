import BatchCodecs
public import BatchModel

/// What creating a batch came to.
public enum CreationOutcome: Sendable {
    /// A new batch; `response` is what the caller rendered for it.
    case created(BatchRow, response: [UInt8])
    /// The same `Idempotency-Key` and body were seen before: the first response again.
    case replayed(response: [UInt8])
}

/// A client's `Idempotency-Key` with the hash of the request it came with.
public struct IdempotencyClaim: Sendable {
    public var key: String
    public var requestHash: String
    /// How long a key is remembered.
    public static let lifetimeMilliseconds: Int64 = 24 * 3600 * 1000

    public init(key: String, requestHash: String) {
        self.key = key
        self.requestHash = requestHash
    }
}

extension BatchRecords {
    /// Items written in one transaction of a large create: few enough that the
    /// single writer is never held long, so other writes take their turns between.
    public static let createChunkItems = 2_000

    /// A chunk's transaction ends once it has held the writer this long, even with
    /// items of the chunk left (they go in the next one): what a chunk costs depends
    /// on the items, the disk and what else wants the CPU, and the target is time.
    public static let chunkMilliseconds: Int64 = 20

    /// Stores a batch and its items with its counters set, and, when `idempotency`
    /// is given, remembers `render`'s response under the key. A key seen with
    /// another body is `.conflict`. Up to `createChunkItems` items it is one
    /// transaction; a larger batch is written in chunks under `StagingTenant`,
    /// invisible to every tenant, and shown in its own tenant and state by a last
    /// short transaction (nothing half-written is ever seen, and a failure or a
    /// crash leaves only a staged batch that is removed).
    public func create(
        _ batch: NewBatch, tenantID: String, idempotency: IdempotencyClaim? = nil, now: Timestamp = .now(),
        render: (BatchRow) -> [UInt8]
    ) throws(StoreError) -> CreationOutcome {
        let stored: NewItems = batch.initialState == .failed ? [] : batch.items
        guard stored.count > Self.createChunkItems else {
            return try connection.transaction { () throws(StoreError) -> CreationOutcome in
                if let idempotency, let previous = try replay(idempotency, tenantID: tenantID, now: now) { return .replayed(response: previous) }
                try checkQuota(tenantID: tenantID, addingBatches: 1, items: batch.rowCount, bytes: batch.items.totalBytes)
                let id = try insertBatchRow(batch, tenantID: tenantID, state: batch.initialState, stored: stored, now: now)
                try insertItems(stored, batchID: id, firstSeq: 1)
                return try shown(id, tenantID: tenantID, idempotency: idempotency, now: now, render: render)
            }
        }
        let staged = try connection.transaction { () throws(StoreError) -> Result<String, ReplayedResponse> in
            if let idempotency, let previous = try replay(idempotency, tenantID: tenantID, now: now) {
                return .failure(ReplayedResponse(bytes: previous))
            }
            try checkQuota(tenantID: tenantID, addingBatches: 1, items: batch.rowCount, bytes: batch.items.totalBytes)
            return .success(try insertBatchRow(batch, tenantID: StagingTenant.id, state: .accumulating, stored: [], now: now))
        }
        let id: String
        switch staged {
        case .success(let stagedID): id = stagedID
        case .failure(let answered): return .replayed(response: answered.bytes)
        }
        do throws(StoreError) {
            var chunk: [NewItem] = []
            chunk.reserveCapacity(Self.createChunkItems)
            var next = 1
            let flush = { [self] (chunk: [NewItem], first: Int) throws(StoreError) in
                var done = 0
                while done < chunk.count {
                    done += try connection.transaction { () throws(StoreError) -> Int in
                        try insertItems(
                            chunk[done...], batchID: id, firstSeq: first + done, until: SystemClock.monotonicMilliseconds() + Self.chunkMilliseconds)
                    }
                }
            }
            try stored.forEach { (item) throws(StoreError) in
                chunk.append(item)
                guard chunk.count == Self.createChunkItems else { return }
                try flush(chunk, next)
                next += chunk.count
                chunk.removeAll(keepingCapacity: true)
            }
            if !chunk.isEmpty {
                try flush(chunk, next)
                next += chunk.count
            }
            guard next - 1 == stored.count else { throw StoreError.conflict("The items changed while they were stored; nothing was stored") }
            let outcome = try connection.transaction { () throws(StoreError) -> CreationOutcome in
                // Another request with the same key may have finished meanwhile.
                if let idempotency, let previous = try replay(idempotency, tenantID: tenantID, now: now) { return .replayed(response: previous) }
                try checkQuota(tenantID: tenantID, addingBatches: 1, items: batch.rowCount, bytes: batch.items.totalBytes)
                try connection.statement(
                    """
                    UPDATE batches SET tenant_id = ?1, status = ?2, total_items = ?3, next_seq = ?4, n_pending = ?5, total_bytes = ?6,
                        updated_at = ?7, version = version + 1 WHERE id = ?8 AND tenant_id = ?9
                    """
                ).bind(
                    .text(tenantID), .text(batch.initialState.rawValue), .int(batch.rowCount), .int(stored.count + 1), .int(stored.count),
                    .integer(stored.totalBytes), .integer(now.milliseconds), .text(id), .text(StagingTenant.id)
                ).run()
                guard connection.changes == 1 else { throw .notFound("staged batch \(id)") }
                return try shown(id, tenantID: tenantID, idempotency: idempotency, now: now, render: render)
            }
            if case .replayed = outcome { discardStaged(id) }
            return outcome
        } catch {
            discardStaged(id)
            throw error
        }
    }

    /// The first response to a key seen before, met before anything was staged.
    private struct ReplayedResponse: Error { let bytes: [UInt8] }

    /// The batch row of a new batch (its items are written by the caller); its id.
    private func insertBatchRow(_ batch: NewBatch, tenantID: String, state: BatchState, stored: NewItems, now: Timestamp) throws(StoreError) -> String
    {
        let id = ResourceID.make(.batch)
        let validationErrors = batch.validationErrors.isEmpty ? nil : JSONWriter.string(.array(batch.validationErrors.map(\.json)))
        let configuration = batch.configuration
        try connection.statement(
            """
            INSERT INTO batches (id, tenant_id, name, collection, processor, status, priority, max_concurrent, timeout_seconds,
                notification_url, completion_window, retention_days, force_overwrite, context, error_message, validation_errors,
                created_at, updated_at, completed_at, total_items, next_seq, n_pending, total_bytes, input_format, configuration)
            VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
            """
        ).bind(
            .text(id), .text(tenantID), .text(batch.name), .text(batch.collection), .text(batch.processor), .text(state.rawValue),
            .int(configuration.priority.rank), .int(configuration.maxConcurrent), .int(configuration.timeoutSeconds),
            .optionalText(configuration.notificationURL), .optionalInt(configuration.completionWindowSeconds),
            .int(configuration.retentionDays), .int(batch.forceOverwrite ? 1 : 0), .optionalText(batch.context.map(JSONWriter.string)),
            .optionalText(batch.errorMessage), .optionalText(validationErrors), .integer(now.milliseconds), .integer(now.milliseconds),
            state == .failed ? .integer(now.milliseconds) : .null, .int(tenantID == StagingTenant.id ? 0 : batch.rowCount),
            .int(stored.count + 1), .int(stored.count), .integer(stored.totalBytes), .text(batch.inputFormat),
            .text(JSONWriter.string(batch.configurationJSON ?? .object(JSONObject())))
        ).run()
        return id
    }

    /// The created batch as its tenant sees it, its rendered response remembered under the key.
    private func shown(
        _ id: String, tenantID: String, idempotency: IdempotencyClaim?, now: Timestamp, render: (BatchRow) -> [UInt8]
    ) throws(StoreError) -> CreationOutcome {
        guard let row = try find(id: id) else { throw .notFound("batch \(id)") }
        let response = render(row)
        if let idempotency {
            try connection.statement(
                "INSERT INTO idempotency_keys (tenant_id, key, request_hash, status, response, batch_id, created_at) VALUES (?,?,?,?,?,?,?)"
            ).bind(
                .text(tenantID), .text(idempotency.key), .text(idempotency.requestHash), .int(201), .blob(response), .text(id),
                .integer(now.milliseconds)
            ).run()
        }
        return .created(row, response: response)
    }

    /// Removes a staged batch and its items, a chunk a transaction (best effort:
    /// what a failure leaves is removed at the next start).
    func discardStaged(_ id: String) {
        func removeSome() throws(StoreError) -> Int {
            try connection.transaction { () throws(StoreError) -> Int in
                // SQLite deletes fastest by rowid; PostgreSQL has none (ctid is not stable across a vacuum).
                let key = connection.dialect == .sqlite ? "rowid" : "id"
                try connection.statement("DELETE FROM items WHERE \(key) IN (SELECT \(key) FROM items WHERE batch_id = ? LIMIT ?)")
                    .bind(.text(id), .int(Self.createChunkItems)).run()
                let removed = connection.changes
                if removed == 0 {
                    try connection.statement("DELETE FROM batches WHERE id = ? AND tenant_id = ?").bind(.text(id), .text(StagingTenant.id)).run()
                }
                return removed
            }
        }
        while let removed = try? removeSome(), removed > 0 {}
    }

    /// Removes staged batches, what creates cut short by a crash left: every one
    /// (at start, when nothing else writes to the store), or those created before
    /// `createdBefore` (when other nodes may be staging a create right now).
    @discardableResult
    public func discardStagedLeftovers(createdBefore: Timestamp? = nil) throws(StoreError) -> Int {
        let staged = try connection.statement("SELECT id FROM batches WHERE tenant_id = ? AND created_at < ?")
            .bind(.text(StagingTenant.id), .integer(createdBefore?.milliseconds ?? Int64.max)).rows { $0.text(0) }
        for id in staged { discardStaged(id) }
        return staged.count
    }

    /// The stored response for a repeated key, nil for a new (or expired) key.
    private func replay(_ claim: IdempotencyClaim, tenantID: String, now: Timestamp) throws(StoreError) -> [UInt8]? {
        try connection.statement("DELETE FROM idempotency_keys WHERE tenant_id = ? AND key = ? AND created_at < ?")
            .bind(.text(tenantID), .text(claim.key), .integer(now.milliseconds - IdempotencyClaim.lifetimeMilliseconds)).run()
        let previous = try connection.statement("SELECT request_hash, response FROM idempotency_keys WHERE tenant_id = ? AND key = ?")
            .bind(.text(tenantID), .text(claim.key)).firstRow { row in (row.text(0), row.blob(1)) }
        guard let (hash, response) = previous else { return nil }
        guard hash == claim.requestHash else {
            throw .conflict("Idempotency-Key '\(claim.key)' was used with a different request")
        }
        return response
    }

    /// Appends items to an accumulating batch. Another state is `.conflict`; a
    /// `custom_id` already in the batch is `.conflict` naming it; so is growing
    /// past `maxItems`, checked inside the transaction that writes, so parallel
    /// appends cannot pass it together.
    public func append(
        _ items: NewItems, batchID: String, tenantID: String, maxItems: Int = .max, now: Timestamp = .now()
    ) throws(StoreError) -> BatchRow {
        try connection.transaction {
            () throws(StoreError) -> BatchRow in
            // On PostgreSQL the batch row is locked before its counts are read: two
            // appends reading the same count could otherwise both pass the limit (SQLite's
            // single writer does this by itself). Appends touch no existing item, so
            // taking the batch first keeps every other transaction's lock order.
            if connection.dialect == .postgres {
                try connection.statement("SELECT 1 FROM batches WHERE id = ? FOR UPDATE").bind(.text(batchID)).run()
            }
            guard let batch = try find(id: batchID, tenantID: tenantID) else { throw .notFound("batch \(batchID)") }
            guard batch.state == .accumulating else {
                throw .conflict("Items can be appended only to an accumulating batch; this one is \(batch.state.nativeName)")
            }
            guard batch.totalItems + items.count <= maxItems else {
                throw .conflict("A batch holds at most \(maxItems) items; it has \(batch.totalItems) and this request adds \(items.count)")
            }
            try checkQuota(tenantID: tenantID, addingBatches: 0, items: items.count, bytes: items.totalBytes)
            let firstSeq = try connection.statement("SELECT next_seq FROM batches WHERE id = ?").bind(.text(batchID)).firstRow { Int($0.int(0)) } ?? 1
            do throws(StoreError) {
                try insertItems(items, batchID: batchID, firstSeq: firstSeq)
            } catch {
                if case .conflict = error { throw .conflict("A custom_id in these items is already used in batch \(batchID)") }
                throw error
            }
            let bytes = items.totalBytes
            try connection.statement(
                """
                UPDATE batches SET total_items = total_items + ?1, n_pending = n_pending + ?1, next_seq = next_seq + ?1,
                    total_bytes = total_bytes + ?2, updated_at = ?3, version = version + 1 WHERE id = ?4
                """
            ).bind(.int(items.count), .integer(bytes), .integer(now.milliseconds), .text(batchID)).run()
            guard let updated = try find(id: batchID) else { throw .notFound("batch \(batchID)") }
            return updated
        }
    }

    /// Refuses growth past the tenant's quotas (batches, items, bytes stored).
    /// Sums over the tenant's batch rows, never over items.
    private func checkQuota(tenantID: String, addingBatches: Int, items: Int, bytes: Int64) throws(StoreError) {
        guard let tenant = try TenantRecords(connection).find(id: tenantID) else { throw .notFound("tenant \(tenantID)") }
        let quota = tenant.quota
        guard quota.maxBatches != nil || quota.maxItems != nil || quota.maxBytes != nil else { return }
        let (batches, storedItems, storedBytes) =
            try connection.statement(
                "SELECT count(*), coalesce(sum(total_items), 0), coalesce(sum(total_bytes), 0) FROM batches WHERE tenant_id = ?"
            ).bind(.text(tenantID)).firstRow { ($0.int(0), $0.int(1), $0.int(2)) } ?? (0, 0, 0)
        if let limit = quota.maxBatches, batches + Int64(addingBatches) > Int64(limit) {
            throw .quotaExceeded(quota: "max_batches", limit: Int64(limit), used: batches)
        }
        if let limit = quota.maxItems, storedItems + Int64(items) > Int64(limit) {
            throw .quotaExceeded(quota: "max_items", limit: Int64(limit), used: storedItems)
        }
        if let limit = quota.maxBytes, storedBytes + bytes > limit {
            throw .quotaExceeded(quota: "max_bytes", limit: limit, used: storedBytes)
        }
    }

    /// Inserts `items` from `firstSeq` on. Counters were set from `items.count`, so
    /// items that walk out differently from what was counted undo the transaction.
    private func insertItems(_ items: NewItems, batchID: String, firstSeq: Int) throws(StoreError) {
        let insert = try itemInsert()
        var offset = 0
        var bytes: Int64 = 0
        try items.forEach { (item) throws(StoreError) in
            try insertItem(item, with: insert, batchID: batchID, seq: firstSeq + offset)
            offset += 1
            bytes += Int64(item.sizeBytes)
        }
        // A refused insert (a custom_id already used) fails here, where callers name it.
        try connection.sendQueued()
        guard offset == items.count, bytes == items.totalBytes else {
            throw .conflict("The items changed while they were stored (\(offset) of \(items.count)); nothing was stored")
        }
    }

    /// Inserts items of a chunk from `firstSeq` on until `deadline` (monotonic
    /// milliseconds) passes (looked at every 16 items); how many it inserted.
    private func insertItems(_ items: ArraySlice<NewItem>, batchID: String, firstSeq: Int, until deadline: Int64) throws(StoreError) -> Int {
        let insert = try itemInsert()
        var inserted = 0
        for item in items {
            try insertItem(item, with: insert, batchID: batchID, seq: firstSeq + inserted)
            inserted += 1
            if inserted % 16 == 0, SystemClock.monotonicMilliseconds() >= deadline { break }
        }
        try connection.sendQueued()
        return inserted
    }

    /// The item insert, looked up once a transaction rather than once an item.
    private func itemInsert() throws(StoreError) -> any StoreStatement {
        try connection.statement(
            "INSERT INTO items (id, batch_id, seq, custom_id, filename, file_path, blob_path, content, context, size_bytes, status) VALUES (?,?,?,?,?,?,?,?,?,?,\(StateSQL.literal(ItemState.initial)))"
        )
    }

    private func insertItem(_ item: NewItem, with insert: any StoreStatement, batchID: String, seq: Int) throws(StoreError) {
        try insert.bind(
            .text(ResourceID.make(.item)), .text(batchID), .int(seq), .optionalText(item.customID),
            .optionalText(item.filename), .optionalText(item.filePath), item.ownsFile ? .optionalText(item.filePath) : .null,
            item.content.map(SQLiteValue.blob) ?? .null,
            .optionalText(item.context.map(JSONWriter.string)), .int(item.sizeBytes)
        ).enqueue()
    }

    /// Deletes a finished batch with its items (and, through the schema, its
    /// counters and error summaries). A batch still open or running is `.conflict`.
    /// Returns the paths of the uploaded files its items owned, for the caller to remove.
    @discardableResult
    public func delete(id: String, tenantID: String) throws(StoreError) -> [String] {
        try connection.transaction {
            () throws(StoreError) -> [String] in
            guard let batch = try find(id: id, tenantID: tenantID) else { throw .notFound("batch \(id)") }
            guard batch.state.isFinal else {
                throw .conflict("Batch \(id) is \(batch.state.nativeName); only completed, failed or cancelled batches can be deleted")
            }
            return try deleteRows(batchID: id)
        }
    }

    /// Removes a batch's rows; returns its owned blob paths. Call inside a transaction.
    func deleteRows(batchID id: String) throws(StoreError) -> [String] {
        let blobs = try connection.statement("SELECT blob_path FROM items WHERE batch_id = ? AND blob_path IS NOT NULL").bind(.text(id)).rows {
            $0.text(0)
        }
        try connection.statement("DELETE FROM items WHERE batch_id = ?").bind(.text(id)).run()
        try connection.statement("DELETE FROM batches WHERE id = ?").bind(.text(id)).run()
        return blobs
    }
}
