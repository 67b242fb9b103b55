import BatchCodecs

/// One part of a `multipart/form-data` body: its field name and, for files,
/// the file name and declared type.
public struct MultipartPart: Sendable, Equatable {
    public var name: String
    public var filename: String?
    public var contentType: String?
}

#if canImport(Glibc)
    import Glibc
#endif

/// Reads `multipart/form-data` (RFC 7578) from a stream without holding it:
/// memory stays bounded by the read buffer whatever the parts' sizes.
///
/// Use: `while let part = try reader.nextPart() { try reader.readBody { bytes in … } }`.
/// A part whose body is not read is skipped. Malformed input is a 400.
public final class MultipartReader {
    static let chunk = 64 << 10
    static let maxHeaderBytes = 16 << 10

    private let source: any RequestBodyStream
    private let delimiter: [UInt8]
    private var buffer: [UInt8] = []
    private var position = 0
    private var sourceEnded = false
    private var inBody = false
    private var finished = false
    private var started = false

    public init(boundary: String, source: any RequestBodyStream) {
        self.source = source
        self.delimiter = Array("\r\n--\(boundary)".utf8)
    }

    /// The boundary of `multipart/form-data; boundary=…` (1 to 70 bytes, RFC 2046),
    /// or nil for any other type.
    public static func boundary(of type: ContentType) -> String? {
        guard type.mediaType == "multipart/form-data", let value = type.parameters["boundary"] else { return nil }
        return (1...70).contains(value.utf8.count) ? value : nil
    }

    /// The next part's headers, or nil after the closing delimiter.
    public func nextPart() throws(APIError) -> MultipartPart? {
        if finished { return nil }
        if !started {
            started = true
            // The first boundary has no CRLF before it, unless a (short) preamble does.
            try fill(atLeast: Self.maxHeaderBytes)
            let opening = Array(delimiter[2...])
            if matches(opening, at: 0) {
                position = opening.count
            } else if let at = find(delimiter, from: 0) {
                position = at + delimiter.count
            } else {
                throw Self.malformed("the body does not start with the boundary")
            }
            return try afterDelimiter()
        }
        if inBody { try readBody { _ throws(APIError) in } }
        return try afterDelimiter()
    }

    /// Streams the current part's content to `sink` in pieces.
    public func readBody(_ sink: (ArraySlice<UInt8>) throws(APIError) -> Void) throws(APIError) {
        guard inBody else { return }
        while true {
            if let at = find(delimiter, from: position) {
                if at > position { try sink(buffer[position..<at]) }
                position = at + delimiter.count
                inBody = false
                compact()
                return
            }
            // Keep what could be the start of a delimiter split across reads.
            let safeEnd = buffer.count - (delimiter.count - 1)
            if safeEnd > position {
                try sink(buffer[position..<safeEnd])
                position = safeEnd
            }
            compact()
            if sourceEnded { throw Self.malformed("a part is not closed by the boundary (truncated body)") }
            try fill(atLeast: buffer.count + 1)
        }
    }

    private func afterDelimiter() throws(APIError) -> MultipartPart? {
        try fill(atLeast: position + 2)
        guard buffer.count >= position + 2 else { throw Self.malformed("the body ends after a boundary") }
        if buffer[position] == UInt8(ascii: "-"), buffer[position + 1] == UInt8(ascii: "-") {
            finished = true
            return nil
        }
        guard buffer[position] == 13, buffer[position + 1] == 10 else { throw Self.malformed("a boundary is not followed by CRLF") }
        position += 2
        var headerEnd: Int?
        while headerEnd == nil {
            headerEnd = find([13, 10, 13, 10], from: position)
            if headerEnd == nil {
                guard buffer.count - position <= Self.maxHeaderBytes, !sourceEnded else {
                    throw Self.malformed("part headers are too long or unterminated")
                }
                try fill(atLeast: buffer.count + 1)
            }
        }
        // The cap holds however the headers arrived (in one read or many).
        guard headerEnd! - position <= Self.maxHeaderBytes else { throw Self.malformed("part headers are longer than \(Self.maxHeaderBytes) bytes") }
        guard let headerText = String(validating: buffer[position..<headerEnd!], as: UTF8.self) else {
            throw Self.malformed("part headers are not UTF-8")
        }
        position = headerEnd! + 4
        var part = MultipartPart(name: "", filename: nil, contentType: nil)
        var sawDisposition = false
        for line in headerText.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { throw Self.malformed("a part header has no colon") }
            let name = line[..<colon].lowercased()
            let value = String(line[line.index(after: colon)...]).trimmed
            if name == "content-disposition" {
                sawDisposition = true
                let parameters = try Self.parameters(value)
                guard parameters.type == "form-data", let fieldName = parameters.values["name"] else {
                    throw Self.malformed("Content-Disposition must be form-data with a name")
                }
                part.name = fieldName
                part.filename = parameters.values["filename"]
            } else if name == "content-type" {
                part.contentType = value
            }
        }
        guard sawDisposition else { throw Self.malformed("a part has no Content-Disposition") }
        inBody = true
        return part
    }

    /// `form-data; name="file"; filename="a b.pdf"` → type and parameters.
    /// Quoted values keep every character; inside them `\"` and `\\` are
    /// escapes and any other backslash is itself (a Windows path stays whole).
    /// A parameter given twice, or a quote left open, is malformed.
    static func parameters(_ value: String) throws(APIError) -> (type: String, values: [String: String]) {
        let scalars = Array(value.unicodeScalars)
        var at = 0
        func skipSpaces() { while at < scalars.count, scalars[at] == " " || scalars[at] == "\t" { at += 1 } }
        func read(until stop: (Unicode.Scalar) -> Bool) -> String {
            var text = String.UnicodeScalarView()
            while at < scalars.count, !stop(scalars[at]) {
                text.append(scalars[at])
                at += 1
            }
            return String(text).trimmed
        }
        let type = read(until: { $0 == ";" }).lowercased()
        var values: [String: String] = [:]
        while at < scalars.count {
            at += 1  // the ';'
            skipSpaces()
            let key = read(until: { $0 == "=" || $0 == ";" }).lowercased()
            guard at < scalars.count, scalars[at] == "=" else { continue }
            at += 1
            skipSpaces()
            var text = String.UnicodeScalarView()
            if at < scalars.count, scalars[at] == "\"" {
                at += 1
                var closed = false
                while at < scalars.count {
                    let scalar = scalars[at]
                    if scalar == "\\", at + 1 < scalars.count, scalars[at + 1] == "\"" || scalars[at + 1] == "\\" {
                        text.append(scalars[at + 1])
                        at += 2
                    } else if scalar == "\"" {
                        at += 1
                        closed = true
                        break
                    } else {
                        text.append(scalar)
                        at += 1
                    }
                }
                guard closed else { throw malformed("a quoted parameter in Content-Disposition is not closed") }
                skipSpaces()
                guard at == scalars.count || scalars[at] == ";" else {
                    throw malformed("unexpected text after a quoted parameter in Content-Disposition")
                }
            } else {
                text = read(until: { $0 == ";" }).unicodeScalars
            }
            guard values[key] == nil else { throw malformed("Content-Disposition gives '\(key)' more than once") }
            values[key] = String(text)
        }
        return (type, values)
    }

    private func fill(atLeast count: Int) throws(APIError) {
        var scratch = [UInt8](repeating: 0, count: Self.chunk)
        while buffer.count < count, !sourceEnded {
            let n = scratch.withUnsafeMutableBytes { source.read(into: $0) }
            if n <= 0 { sourceEnded = true } else { buffer.append(contentsOf: scratch[0..<n]) }
        }
    }

    private func compact() {
        if position >= Self.chunk {
            buffer.removeFirst(position)
            position = 0
        }
    }

    private func matches(_ needle: [UInt8], at offset: Int) -> Bool {
        offset + needle.count <= buffer.count && find(needle, from: offset, limit: offset + needle.count) == offset
    }

    /// memchr for the first byte, memcmp for the rest: fast even in debug builds,
    /// which matters when hundreds of megabytes stream through.
    private func find(_ needle: [UInt8], from start: Int, limit: Int? = nil) -> Int? {
        let end = min(limit ?? buffer.count, buffer.count)
        guard start >= 0, end - start >= needle.count else { return nil }
        return buffer.withUnsafeBufferPointer { haystack -> Int? in
            needle.withUnsafeBufferPointer { pattern -> Int? in
                let base = haystack.baseAddress!
                var at = start
                let last = end - needle.count
                while at <= last {
                    guard let hit = memchr(base + at, Int32(pattern[0]), last - at + 1) else { return nil }
                    let index = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                    if memcmp(base + index, pattern.baseAddress!, needle.count) == 0 { return index }
                    at = index + 1
                }
                return nil
            }
        }
    }

    static func malformed(_ reason: String) -> APIError {
        APIError(.validationError, "Malformed multipart/form-data body: \(reason)", details: ["error": .string(reason)])
    }
}
