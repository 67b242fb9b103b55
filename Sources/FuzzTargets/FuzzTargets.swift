import BatchAPI
import BatchCache
import BatchCodecs
import BatchDocuments
import BatchModel
import FastCGI
import IngestInspection

#if canImport(Glibc)
    import Glibc
#endif

/// Every parser of client bytes as a libFuzzer target, by name. Each runs one
/// input through the parser and checks what must hold of any input (a round
/// trip, a bound); a violated check traps, which libFuzzer reports as a crash.
/// `deploy/fuzz` builds them with coverage and runs one by name; the unit tests
/// run the committed corpora through them, so every crash found stays fixed.
public enum FuzzTargets {
    public static let all: [String: @Sendable ([UInt8]) -> Void] = [
        "json": json, "create": create, "multipart": multipart, "csv": csv, "ndjson": ndjson, "query": query, "path": path,
        "base64": base64, "fastcgi-params": fastCGIParams, "media": media, "inflate": inflate, "inspection-wire": inspectionWire,
        "webhook-url": webhookURL, "range": range, "invalidation": invalidation,
    ]

    static let limits: BatchLimits = {
        var limits = BatchLimits()
        limits.processors = ["noop", "ingest"]
        return limits
    }()

    /// Any JSON it accepts is written back and re-read as the same value.
    static func json(_ bytes: [UInt8]) {
        guard let value = try? JSONParser.parse(bytes) else { return }
        let written = JSONWriter.bytes(value)
        precondition((try? JSONParser.parse(written)) == value, "JSON did not survive a round trip")
    }

    /// A create request's JSON body, as the API validates it: items parsed whole
    /// and items left in the body must come to the same batch.
    static func create(_ bytes: [UInt8]) {
        guard case .object(let object)? = try? JSONParser.parse(bytes) else { return }
        let parser = BatchRequestParser(limits: limits)
        let whole = try? parser.parseCreate(object)
        _ = try? parser.parseAppend(object)
        guard case (.object(let rest), let items)? = try? JSONParser.parse(bytes, deferringArrayAt: "items") else {
            preconditionFailure("a body parsed whole failed to parse with its items deferred")
        }
        let deferred = try? parser.parseCreate(rest, deferredItems: items)
        precondition(whole?.items.all == deferred?.items.all && whole?.validationErrors == deferred?.validationErrors, "deferred items differ")
        _ = try? parser.parseAppend(rest, deferredItems: items)
    }

    /// A multipart body read in pieces of a size the input's first byte picks.
    static func multipart(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let reader = MultipartReader(boundary: "B", source: InMemoryBodyStream(Array(bytes.dropFirst()), chunk: Int(first) + 1))
        var total = 0
        while let part = try? reader.nextPart() {
            _ = part
            try? reader.readBody { total += $0.count }
            precondition(total <= bytes.count, "a part gave more bytes than the body holds")
        }
    }

    static func csv(_ bytes: [UInt8]) {
        _ = try? CSVParser.parse(String(decoding: bytes, as: UTF8.self))
        rows(bytes, .csv)
    }

    static func ndjson(_ bytes: [UInt8]) { rows(bytes, .ndjson) }

    static func rows(_ bytes: [UInt8], _ format: RowBodyParser.Format) {
        guard let request = try? RowBodyParser.request(bytes, format: format, query: QueryParameters(parsing: "processor=noop")) else { return }
        _ = try? BatchRequestParser(limits: limits).parseCreate(request)
    }

    /// A query string, and every parameter set the API reads from one.
    static func query(_ bytes: [UInt8]) {
        let query = QueryParameters(parsing: String(decoding: bytes, as: UTF8.self))
        _ = try? BatchStatusDocument.Options(query: query)
        _ = try? BatchResultsDocument.Page(query: query)
        _ = try? BatchListHandler.parse(query)
        _ = try? BatchResultsStreamHandler.options(query)
        _ = try? RowBodyParser.options(query)
        // The same bytes as a Content-Type header: the one parser every create's body goes through.
        let type = ContentType(header: String(decoding: bytes, as: UTF8.self))
        _ = MultipartReader.boundary(of: type)
        _ = RowBodyParser.format(of: type)
    }

    /// A request path against every route, and the ids it carries.
    static func path(_ bytes: [UInt8]) {
        let path = String(decoding: bytes, as: UTF8.self)
        for method in ["GET", "POST", "PUT", "DELETE", "HEAD"] {
            if case .found(_, let parameters) = Routes.all.match(method: method, path: path) {
                for (_, value) in parameters.pairs { _ = ResourceID.problem(with: value) }
            }
        }
    }

    /// Whatever decodes encodes back to the same text once padded and canonical.
    static func base64(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let decoded = Base64.decode(text) else { return }
        precondition(decoded.count <= text.utf8.count, "base64 grew")
    }

    /// CGI parameters as libfcgi hands them over: NUL-separated `NAME=value` strings.
    static func fastCGIParams(_ bytes: [UInt8]) {
        var strings = bytes.split(separator: 0, omittingEmptySubsequences: true).map { piece -> UnsafeMutablePointer<CChar>? in
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: piece.count + 1)
            for (offset, byte) in piece.enumerated() { buffer[offset] = CChar(bitPattern: byte) }
            buffer[piece.count] = 0
            return buffer
        }
        strings.append(nil)
        defer { for case let pointer? in strings { pointer.deallocate() } }
        let params = strings.withUnsafeMutableBufferPointer { FastCGIServer.readParams($0.baseAddress) }
        precondition(params.count < strings.count, "more parameters than strings")
        if let query = params["QUERY_STRING"] { _ = QueryParameters(parsing: query) }
    }

    /// Files of every format: the first byte picks the magic bytes put in front,
    /// so that each format's checker is reached as often as the others.
    static func media(_ bytes: [UInt8]) {
        guard let selector = bytes.first else { return }
        let magics: [[UInt8]] = [
            [], Array("%PDF-".utf8), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], [0xFF, 0xD8, 0xFF], Array("GIF89a".utf8),
            Array("RIFF\0\0\0\0WEBP".utf8), Array("RIFF\0\0\0\0WAVE".utf8), [0, 0, 0, 0] + Array("ftyp".utf8), Array("ID3".utf8),
            [0x50, 0x4B, 0x03, 0x04],
        ]
        let file = magics[Int(selector) % magics.count] + bytes.dropFirst()
        var limits = MediaLimits.wickson
        limits.inflatedBytes = 1 << 20
        _ = MediaInspector.inspect(file, filename: "fuzz.bin", limits: limits)
        _ = MediaInspector.detect(Array(file.prefix(64)), prefixOf: file.count)
    }

    /// Raw DEFLATE into the streaming word counter: bounded output, no trap.
    static func inflate(_ bytes: [UInt8]) {
        var text = DocxText()
        let total = try? Inflate.stream(bytes[...], limits: .init(maxOutput: 1 << 20, maxRatio: 100)) { text.feed($0) }
        precondition((total ?? 0) <= 1 << 20, "inflate passed its limit")
    }

    /// What a helper might send batchd (and batchd a helper).
    /// A notification URL: a parsed target renders a Host header and request
    /// target without CR or LF, and an allowed target never names an internal literal address.
    static func webhookURL(_ bytes: [UInt8]) {
        let url = String(decoding: bytes, as: UTF8.self)
        guard case .success(let target) = WebhookTarget.parse(url) else { return }
        precondition(!(target.hostHeader + target.requestTarget).utf8.contains { $0 == 10 || $0 == 13 || $0 == 32 }, "a header could be split")
        if case .success(let allowed) = WebhookPolicy().check(url) {
            precondition(allowed.literalAddress?.internalRange == nil, "an internal address was allowed")
        }
    }

    /// A `Range` header: whatever it parses to resolves, against any length, to
    /// offsets inside the representation.
    static func range(_ bytes: [UInt8]) {
        guard let range = ByteRange(header: String(decoding: bytes, as: UTF8.self)) else { return }
        for length in [0, 1, bytes.count, 1 << 20, Int.max / 2] {
            if let covered = range.resolve(length: length) {
                precondition(covered.lowerBound >= 0 && covered.upperBound < length, "a range outside the representation")
            }
        }
    }

    /// A status-cache invalidation message (`StatusInvalidation`): any bytes read as
    /// one, and what reads as one batch or tenant is written back the same.
    static func invalidation(_ bytes: [UInt8]) {
        let invalidation = StatusInvalidation(message: bytes)
        if invalidation != .all, String(validating: bytes, as: UTF8.self) != nil {
            precondition(Array(invalidation.message.utf8) == bytes, "did not round-trip")
        }
        precondition(StatusInvalidation(message: Array(invalidation.message.utf8)) == invalidation, "did not read back")
    }

    static func inspectionWire(_ bytes: [UInt8]) {
        if let outcome = try? InspectionWire.parseReply(bytes) {
            precondition((try? InspectionWire.parseReply(Array(InspectionWire.reply(outcome).dropFirst(4)))) == outcome, "reply did not round-trip")
        }
        _ = try? InspectionWire.parseRequestHeader(bytes)
    }
}

/// The target `deploy/fuzz` runs, named by `BATCHD_FUZZ_TARGET`.
nonisolated(unsafe) private var selectedTarget: (([UInt8]) -> Void)?

/// libFuzzer's entry point (used only in the fuzzing build; inert elsewhere).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    if selectedTarget == nil {
        let name = getenv("BATCHD_FUZZ_TARGET").map { String(cString: $0) } ?? ""
        guard let target = FuzzTargets.all[name] else {
            fatalError("BATCHD_FUZZ_TARGET must be one of \(FuzzTargets.all.keys.sorted().joined(separator: ", "))")
        }
        selectedTarget = target
    }
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    selectedTarget?(bytes)
    return 0
}
