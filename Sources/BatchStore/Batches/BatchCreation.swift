import BatchModel

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
    /// Stores a batch and all its items in one `BEGIN IMMEDIATE` transaction, with
    /// its counters set, and, when `idempotency` is given, remembers `render`'s
    /// response under the key in the same transaction. A key seen with another
    /// body is `.conflict`.
    public func create(
        _ batch: NewBatch, tenantID: String, idempotency: IdempotencyClaim? = nil, now: Timestamp = .now(),
        render: (BatchRow) -> [UInt8]
    ) throws(StoreError) -> CreationOutcome {
        try connection.transaction {
            () throws(StoreError) -> CreationOutcome in
            if let idempotency {
                if let stored = try replay(idempotency, tenantID: tenantID, now: now) { return .replayed(response: stored) }
            }
            try checkQuota(tenantID: tenantID, addingBatches: 1, items: batch.rowCount, bytes: batch.items.totalBytes)
            let id = ResourceID.make(.batch)
            let state = batch.initialState
            let stored: NewItems = state == .failed ? [] : batch.items
            let bytes = stored.totalBytes
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
                state == .failed ? .integer(now.milliseconds) : .null, .int(batch.rowCount), .int(stored.count + 1), .int(stored.count),
                .integer(bytes), .text(batch.inputFormat), .text(JSONWriter.string(batch.configurationJSON ?? .object(JSONObject())))
            ).run()
            try insertItems(stored, batchID: id, firstSeq: 1)
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
    public func append(_ items: NewItems, batchID: String, tenantID: String, maxItems: Int = .max, now: Timestamp = .now()) throws(StoreError) -> BatchRow {
        try connection.transaction {
            () throws(StoreError) -> BatchRow in
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
        let (batches, storedItems, storedBytes) = try connection.statement(
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
        let insert = try connection.statement(
            "INSERT INTO items (id, batch_id, seq, custom_id, filename, file_path, blob_path, content, context, size_bytes, status) VALUES (?,?,?,?,?,?,?,?,?,?,'pending')")
        var offset = 0
        var bytes: Int64 = 0
        try items.forEach { (item) throws(StoreError) in
            try insert.bind(
                .text(ResourceID.make(.item)), .text(batchID), .int(firstSeq + offset), .optionalText(item.customID),
                .optionalText(item.filename), .optionalText(item.filePath), item.ownsFile ? .optionalText(item.filePath) : .null,
                item.content.map(SQLiteValue.blob) ?? .null,
                .optionalText(item.context.map(JSONWriter.string)), .int(item.sizeBytes)
            ).run()
            offset += 1
            bytes += Int64(item.sizeBytes)
        }
        guard offset == items.count, bytes == items.totalBytes else {
            throw .conflict("The items changed while they were stored (\(offset) of \(items.count)); nothing was stored")
        }
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
        let blobs = try connection.statement("SELECT blob_path FROM items WHERE batch_id = ? AND blob_path IS NOT NULL").bind(.text(id)).rows { $0.text(0) }
        try connection.statement("DELETE FROM items WHERE batch_id = ?").bind(.text(id)).run()
        try connection.statement("DELETE FROM batches WHERE id = ?").bind(.text(id)).run()
        return blobs
    }
}
