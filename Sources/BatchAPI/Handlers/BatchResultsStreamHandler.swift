import BatchCodecs
import BatchDocuments
import BatchModel
import BatchStore
import Logging

/// `GET /v1/batches/{batch_id}/results.jsonl` and `.csv`: one line per item in
/// creation order, streamed in constant memory however large the batch.
///
/// While the batch runs, the answer is its finished prefix: every item up to
/// the first one not in a final state (`X-Batch-Complete: false`), and
/// `X-Results-Cursor` names the last item sent; `?after=<cursor>` continues
/// from there, so a reader sees every item exactly once. `?state=failed` keeps
/// only the failed items of that prefix. `?state=finished` is every finished
/// item, in the order readers first found them finished (`FinishSeals`), its
/// cursor a seal: an item finished out of order is not held back by a slow one
/// before it, and a reader following the cursor still gets each item once.
/// `ETag` is the batch's version with
/// the view; `Range: bytes=N-` (and `N-M`, `-N`) resumes a download that broke,
/// `If-Range` guarding it; `If-None-Match` answers 304.
public enum BatchResultsStreamHandler {
    static let parameters: Set<String> = ["after", "state"]

    /// Items read from the store at a time, and bytes sent at a time.
    static let pageSize = 256
    static let chunkBytes = 64 << 10

    public static func jsonl(_ context: RequestContext) throws(APIError) -> HTTPResponse { try handle(context, format: .jsonl) }
    public static func csv(_ context: RequestContext) throws(APIError) -> HTTPResponse { try handle(context, format: .csv) }

    /// Which items an answer holds.
    public enum Selection: String, Sendable {
        /// Every item of the finished prefix.
        case all
        /// The failed items of the finished prefix.
        case failed
        /// Every finished item, by seal.
        case finished
    }

    /// What one request reads: which items, after which cursor, up to which.
    struct View {
        var batchID: String
        var format: ResultsFormat
        var selection: Selection
        /// A seq (prefix views) or a seal (`finished`).
        var after: Int
        var end: Int

        var states: [ItemState]? { selection == .failed ? [.failed] : nil }
    }

    static func handle(_ context: RequestContext, format: ResultsFormat) throws(APIError) -> HTTPResponse {
        let caller = try context.caller
        let id = try BatchStatusHandler.validatedID(context)
        let (after, selection) = try options(context.request.query)
        let request = context.request
        // A plain read of the finished view seals what finished since the last one;
        // a range resumes the answer it names, so it reads the seal as it stands.
        let seals = selection == .finished && request.headers["range"] == nil
        let found = try context.withStore("get_batch_results", details: ["batch_id": .string(id)]) {
            connection throws(StoreError) -> (BatchRow, Int)? in
            guard let row = try BatchRecords(connection).find(id: id, tenantID: caller.tenant.id) else { return nil }
            if selection == .finished {
                let finishes = FinishSeals(connection)
                return (row, max(after, seals ? try finishes.seal(batchID: id) : try finishes.current(batchID: id)))
            }
            let records = ItemRecords(connection)
            let unfinished = row.pending + row.processing > 0
            let end = unfinished ? try records.finishedPrefixEnd(batchID: id, afterSeq: after) : try records.lastSeq(batchID: id, atLeast: after)
            return (row, end)
        }
        guard let (row, end) = found else { throw .batchNotFound(id) }
        let view = View(batchID: id, format: format, selection: selection, after: after, end: end)
        let complete = row.pending + row.processing == 0
        let etag = "\"\(id)-v\(row.version)-\(format.rawValue)-\(selection.rawValue)-\(after)-\(end)\""
        var headers: [(name: String, value: String)] = [
            ("Content-Type", format.contentType), ("ETag", etag), ("Accept-Ranges", "bytes"), ("Cache-Control", "private, no-cache"),
            ("X-Batch-Complete", complete ? "true" : "false"), ("X-Results-Cursor", String(end)),
            ("Content-Disposition", "attachment; filename=\"\(id)-results.\(format.rawValue)\""),
        ]
        if let tags = request.headers["if-none-match"], Self.matches(tags, etag) {
            return HTTPResponse(status: 304, headers: headers)
        }
        var range: ByteRange?
        if let header = request.headers["range"] {
            range = ByteRange(header: header)
            if let ifRange = request.headers["if-range"], ifRange.trimmed != etag { range = nil }
        }
        // nginx judges the request's own Range and If-Range when it sends a file, so
        // a file answers only a request whose range (if any) batchd takes as nginx would.
        let fileMayAnswer = request.headers["range"] == nil || range != nil
        // A finished batch's whole view is rendered once into a file that nginx
        // then sends itself (ranges included; it is told our ETag for If-Range).
        var file: RenderedResultsFile?
        if complete, after == 0, selection != .finished, fileMayAnswer, let folder = context.resources.service.renderedResults {
            let name = RenderedResultsFolder.name(batchID: id, version: row.version, view: selection.rawValue, fileExtension: format.rawValue)
            if let length = folder.size(of: name) {
                if let range, range.resolve(length: length) == nil { throw unsatisfiable(length: length, request: request) }
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
        guard let bytes = range.resolve(length: length) else { throw unsatisfiable(length: length, request: request) }
        headers += [("Content-Range", "bytes \(bytes.lowerBound)-\(bytes.upperBound)/\(length)"), ("Content-Length", String(bytes.count))]
        return HTTPResponse(
            status: 206, headers: headers, stream: stream(view, context: context, skip: bytes.lowerBound, count: bytes.count, file: nil))
    }

    /// 416, with the length the range missed.
    static func unsatisfiable(length: Int, request: HTTPRequest) -> APIError {
        APIError(
            .rangeNotSatisfiable, "Range \(request.headers["range"] ?? "") is past the end of the \(length)-byte results",
            details: ["length": .integer(length)], headers: [("Content-Range", "bytes */\(length)")])
    }

    /// The query's view: after which cursor, and which items.
    public static func options(_ query: QueryParameters) throws(APIError) -> (after: Int, selection: Selection) {
        try query.requireOnly(parameters)
        var after = 0
        if let text = query["after"] {
            guard let value = Int(text), value >= 0 else { throw .invalidParameter("after", "must be a non-negative integer (a X-Results-Cursor)") }
            after = value
        }
        guard let text = query["state"] else { return (after, .all) }
        guard let selection = Selection(rawValue: text), selection != .all else {
            throw .invalidParameter("state", "must be failed or finished (every item's line of the finished prefix is sent without it)")
        }
        return (after, selection)
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
        var buffer: [UInt8] = []
        buffer.reserveCapacity(chunkBytes + 16 << 10)
        /// Renders one page and sends what is due; false to stop (the view has no
        /// more, or the reader is gone). Every way out of the loops below ends here.
        func page(_ rows: [ItemResultRow], last: Bool) -> Bool {
            for row in rows { view.format.append(row, to: &buffer) }
            if buffer.count >= chunkBytes || last {
                guard emit(buffer) else { return false }
                buffer.removeAll(keepingCapacity: true)
            }
            return !last
        }
        if view.selection == .finished {
            let seals = FinishSeals(connection)
            var cursor = (seal: view.after, seq: Int.max)  // after every item of that seal
            while true {
                let sealed = try seals.rows(batchID: view.batchID, after: cursor, through: view.end, limit: pageSize)
                if let last = sealed.last { cursor = (last.seal, last.row.seq) }
                guard page(sealed.map(\.row), last: sealed.count < pageSize) else { return }
            }
        }
        let records = ItemRecords(connection)
        var cursor = view.after
        while cursor < view.end {
            let rows = try records.resultRows(batchID: view.batchID, afterSeq: cursor, limit: pageSize, states: view.states)
            cursor = rows.last?.seq ?? view.end
            guard page(rows.filter { $0.seq <= view.end }, last: cursor >= view.end) else { return }
        }
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
