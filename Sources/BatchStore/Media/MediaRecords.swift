public import BatchModel

/// A media record as stored: what ingest learned of one file.
public struct MediaRow: Sendable, Equatable {
    public var id: String
    public var collection: String
    public var batchID: String?
    public var itemID: String?
    public var mediaType: String
    public var mime: String
    public var filename: String?
    public var sizeBytes: Int64
    public var sha256: String
    /// JSON text of the format's metadata.
    public var metadata: String
    public var createdAt: Timestamp
}

/// Media records, always scoped to a tenant.
public struct MediaRecords {
    let connection: any StoreConnection

    public init(_ connection: any StoreConnection) { self.connection = connection }

    static let columns = "id, collection, batch_id, item_id, media_type, mime, filename, size_bytes, sha256, metadata, created_at"

    static func read(_ row: any StoreRow) -> MediaRow {
        MediaRow(
            id: row.text(0), collection: row.text(1), batchID: row.optionalText(2), itemID: row.optionalText(3), mediaType: row.text(4),
            mime: row.text(5), filename: row.optionalText(6), sizeBytes: row.int(7), sha256: row.text(8), metadata: row.text(9),
            createdAt: Timestamp(milliseconds: row.int(10)))
    }

    public func find(id: String, tenantID: String) throws(StoreError) -> MediaRow? {
        try connection.statement("SELECT \(Self.columns) FROM media WHERE id = ? AND tenant_id = ?").bind(.text(id), .text(tenantID)).firstRow(
            Self.read)
    }

    /// One page of a tenant's media (of one collection, or all), oldest first, and the total.
    public func list(tenantID: String, collection: String?, offset: Int, limit: Int) throws(StoreError) -> (rows: [MediaRow], total: Int) {
        let filter = collection == nil ? "tenant_id = ?1" : "tenant_id = ?1 AND collection = ?2"
        var values: [SQLiteValue] = [.text(tenantID)]
        if let collection { values.append(.text(collection)) }
        let total = try connection.statement("SELECT count(*) FROM media WHERE \(filter)").bind(values).firstRow { Int($0.int(0)) } ?? 0
        let rows = try connection.statement(
            "SELECT \(Self.columns) FROM media WHERE \(filter) ORDER BY created_at, id LIMIT \(limit) OFFSET \(offset)"
        )
        .bind(values).rows(Self.read)
        return (rows, total)
    }
}
