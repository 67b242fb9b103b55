import BatchCodecs
import BatchDocuments
public import BatchModel
import BatchStore
import Logging

/// `GET /v1/batches/{batch_id}/results.jsonl` and `.csv`: one line per item in
/// creation order, streamed in constant memory however large the batch.
///
/// While the batch runs, the answer is its finished prefix: every item up to
/// the first one not in a final state (`X-Batch-Complete: false`), and
/// `X-Results-Cursor` names the last item sent; `?after=<cursor>` continues
/// from there, so a reader sees every item exactly once. `?state=failed` keeps
/// only the failed items of that prefix. `ETag` is the batch's version with
/// the view; `Range: bytes=N-` (and `N-M`, `-N`) resumes a download that broke,
/// `If-Range` guarding it; `If-None-Match` answers 304.
public enum BatchResultsStreamHandler {
    static let parameters: Set<String> = ["after", "state"]

    /// Items read from the store at a time, and bytes sent at a time.
    static let pageSize = 256
    static let chunkBytes = 64 << 10

    public static func jsonl(_ context: RequestContext) throws(APIError) -> HTTPResponse { try handle(context, format: .jsonl) }
    public static func csv(_ context: RequestContext) throws(APIError) -> HTTPResponse { try handle(context, format: .csv) }

    /// What one request reads: which items, after which seq, up to which.
    struct View {
        var batchID: String
        var format: ResultsFormat
        var after: Int
        var end: Int
        var states: [ItemState]?
    }

    static func handle(_ context: RequestContext, format: ResultsFormat) throws(APIError) -> HTTPResponse {
        let caller = try context.caller
        let id = try BatchStatusHandler.validatedID(context)
        let (after, states) = try options(context.request.query)
        let found = try context.withStore("get_batch_results", details: ["batch_id": .string(id)]) {
            connection throws(StoreError) -> (BatchRow, Int)? in
            guard let row = try BatchRecords(connection).find(id: id, tenantID: caller.tenant.id) else { return nil }
            let records = ItemRecords(connection)
            let unfinished = row.pending + row.processing > 0
            let end = unfinished ? try records.finishedPrefixEnd(batchID: id, afterSeq: after) : try records.lastSeq(batchID: id, atLeast: after)
            return (row, end)
        }
        guard let (row, end) = found else { throw .batchNotFound(id) }
        let view = View(batchID: id, format: format, after: after, end: end, states: states)
        let complete = row.pending + row.processing == 0
        let etag = "\"\(id)-v\(row.version)-\(format.rawValue)-\(states == nil ? "all" : "failed")-\(after)-\(end)\""
        var headers: [(name: String, value: String)] = [
            ("Content-Type", format.contentType), ("ETag", etag), ("Accept-Ranges", "bytes"), ("Cache-Control", "private, no-cache"),
            ("X-Batch-Complete", complete ? "true" : "false"), ("X-Results-Cursor", String(end)),
            ("Content-Disposition", "attachment; filename=\"\(id)-results.\(format.rawValue)\""),
        ]
        let request = context.request
        if let tags = request.headers["if-none-match"], Self.matches(tags, etag) {
            return HTTPResponse(status: 304, headers: headers)
        }
        var range: ByteRange?
        if let header = request.headers["range"] {
            range = ByteRange(header: header)
            if let ifRange = request.headers["if-range"], ifRange.trimmed != etag { range = nil }
        }
        // A finished batch's whole view is rendered once into a file that nginx
        // then sends itself (ranges included; it is told our ETag for If-Range).
        var file: RenderedResultsFile?
        if complete, after == 0, let folder = context.resources.service.renderedResults {
            let name = RenderedResultsFolder.name(
                batchID: id, version: row.version, view: states == nil ? "all" : "failed", fileExtension: format.rawValue)
            if let length = folder.size(of: name) {
                if let range, range.resolve(length: length) == nil { throw unsatisfiable(range, length: length, request: request) }
                return HTTPResponse(status: 200, headers: headers + [("X-Accel-Redirect", ServiceInfo.resultsLocation + name)])
            }
            if range == nil { file = folder.create(name) }
        }
        guard let range else {
            return HTTPResponse(status: 200, headers: headers, stream: stream(view, context: context, skip: 0, count: nil, file: file))
        }
        // A range needs the length: one pass that renders and counts, then the answer.
        let length = try context.withStore("get_batch_results", details: ["batch_id": .string(id)]) {
            connection throws(StoreError) -> Int in
            var total = format.header.count
            try lines(view, connection: connection) {
                total += $0.count
                return true
            }
            return total
        }
        guard let bytes = range.resolve(length: length) else { throw unsatisfiable(range, length: length, request: request) }
        headers += [("Content-Range", "bytes \(bytes.lowerBound)-\(bytes.upperBound)/\(length)"), ("Content-Length", String(bytes.count))]
        return HTTPResponse(
            status: 206, headers: headers, stream: stream(view, context: context, skip: bytes.lowerBound, count: bytes.count, file: nil))
    }

    /// 416, with the length the range missed.
    static func unsatisfiable(_ range: ByteRange, length: Int, request: HTTPRequest) -> APIError {
        APIError(
            .rangeNotSatisfiable, "Range \(request.headers["range"] ?? "") is past the end of the \(length)-byte results",
            details: ["length": .integer(length)], headers: [("Content-Range", "bytes */\(length)")])
    }

    /// The query's view: after which seq, and which states (nil: every item).
    public static func options(_ query: QueryParameters) throws(APIError) -> (after: Int, states: [ItemState]?) {
        try query.requireOnly(parameters)
        var after = 0
        if let text = query["after"] {
            guard let value = Int(text), value >= 0 else { throw .invalidParameter("after", "must be a non-negative integer (a X-Results-Cursor)") }
            after = value
        }
        switch query["state"] {
        case nil: return (after, nil)
        case "failed": return (after, [.failed])
        case .some: throw .invalidParameter("state", "must be failed (every item's line is sent without it)")
        }
    }

    /// Whether an `If-None-Match` list names `etag` (or is `*`).
    static func matches(_ list: String, _ etag: String) -> Bool {
        list.split(separator: ",").contains { tag in
            let tag = String(tag).trimmed
            return tag == "*" || tag == etag || tag == "W/" + etag
        }
    }

    /// Renders the view's lines, some pages of items at a time, handing their
    /// bytes to `emit`, which answers false to stop.
    static func lines(_ view: View, connection: any StoreConnection, emit: ([UInt8]) -> Bool) throws(StoreError) {
        let records = ItemRecords(connection)
        var cursor = view.after
        var buffer: [UInt8] = []
        buffer.reserveCapacity(chunkBytes + 16 << 10)
        while cursor < view.end {
            let rows = try records.resultRows(batchID: view.batchID, afterSeq: cursor, limit: pageSize, states: view.states)
            for row in rows where row.seq <= view.end { view.format.append(row, to: &buffer) }
            guard let last = rows.last else { break }
            cursor = last.seq
            if buffer.count >= chunkBytes || cursor >= view.end {
                guard emit(buffer) else { return }
                buffer.removeAll(keepingCapacity: true)
            }
        }
        if !buffer.isEmpty { _ = emit(buffer) }
    }

    /// The body: the view's bytes from `skip`, `count` of them (all when nil),
    /// read page by page on this worker's store connection as they are sent.
    /// `file`, when given, receives every byte too and is kept only if the whole
    /// view was rendered and sent.
    static func stream(_ view: View, context: RequestContext, skip: Int, count: Int?, file: RenderedResultsFile?) -> ResponseBodyStream {
        ResponseBodyStream { write in
            var toSkip = skip
            var left = count ?? Int.max
            var whole = true
            /// Sends what is past the skipped bytes and within the count; false to stop.
            func send(_ bytes: [UInt8]) -> Bool {
                file?.append(bytes)
                var slice = bytes[...]
                let dropped = min(toSkip, slice.count)
                slice = slice.dropFirst(dropped)
                toSkip -= dropped
                slice = slice.prefix(left)
                left -= slice.count
                if !slice.isEmpty, !write(Array(slice)) {
                    whole = false
                    return false
                }
                return left > 0
            }
            guard send(view.format.header) else { return }
            do {
                try context.withStore("stream_batch_results", details: ["batch_id": .string(view.batchID)]) {
                    connection throws(StoreError) in try lines(view, connection: connection, emit: send)
                }
                if whole { file?.keep() }
            } catch {
                // Past the head nothing can be answered: a failure cuts the body short,
                // which the client sees as a download to resume.
                context.logger.warning("results stream ended early", metadata: ["batch_id": "\(view.batchID)", "error": "\(error)"])
            }
        }
    }
}
