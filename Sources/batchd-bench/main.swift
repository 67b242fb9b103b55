import BatchCodecs
import BatchModel
import BatchScheduler
import Foundation

// batchd-bench: in-process measurements deploy/bench cannot make through nginx.
// Each figure is a ratio to a reference measured in the same run.
//   batchd-bench parse               one object of 100,000 keys vs an array of 100,000 numbers
//   batchd-bench ingest HELPER [N]   ingest of N files in helper processes vs in process
//   batchd-bench paced PORT RATE SECONDS KEY PATH   p99 ms of a client sending RATE GETs a second

func seconds(_ body: () -> Void) -> Double {
    let start = UInt64(SystemClock.monotonicMicroseconds() * 1000)
    body()
    return Double(UInt64(SystemClock.monotonicMicroseconds() * 1000) - start) / 1e9
}

/// The best of `runs`: the least disturbed by a noisy machine.
func best(_ runs: Int, _ body: () -> Void) -> Double { (0..<runs).map { _ in seconds(body) }.min() ?? 0 }

func parse() {
    let keys = Array(("{" + (0..<100_000).map { #""key\#($0)":\#($0)"# }.joined(separator: ",") + "}").utf8)
    let numbers = Array(("[" + (0..<100_000).map { "\($0)" }.joined(separator: ",") + "]").utf8)
    if CommandLine.arguments.count > 2 {
        let strings = Array(("[" + (0..<100_000).map { #""key\#($0)""# }.joined(separator: ",") + "]").utf8)
        let small = Array(("[" + (0..<10_000).map { #"{"key\#($0)":\#($0)}"# }.joined(separator: ",") + "]").utf8)
        print(
            "strings", best(7) { _ = try? JSONParser.parse(strings) } * 1000, "10k small objects", best(7) { _ = try? JSONParser.parse(small) } * 1000
        )
    }
    // The same tokens as the object's, as an array ("key0",0,"key1",1,…): what the
    // object's text costs to read without being an object, so the ratio to it is the
    // cost of keys as keys (index, duplicate check).
    let tokens = Array(("[" + (0..<100_000).map { #""key\#($0)",\#($0)"# }.joined(separator: ",") + "]").utf8)
    let object = best(7) { _ = try? JSONParser.parse(keys) }
    let array = best(7) { _ = try? JSONParser.parse(numbers) }
    let sameTokens = best(7) { _ = try? JSONParser.parse(tokens) }
    print(
        String(
            format:
                "parse: object of 100,000 keys (%d bytes) %.1f ms; array of 100,000 numbers (%d bytes) %.1f ms, ratio %.2f (%.2f per byte); array of the object's 200,000 tokens (%d bytes) %.1f ms, ratio %.2f (target <= 2)",
            keys.count, object * 1000, numbers.count, array * 1000, object / array, (object / Double(keys.count)) / (array / Double(numbers.count)),
            tokens.count, sameTokens * 1000, object / sameTokens))
}

/// Files like the ones tenants upload, each kind several times over.
func sampleFiles(in folder: String, count: Int) -> [String] {
    var generator = SystemRandomNumberGenerator()
    var files: [String] = []
    func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    func le32(_ v: Int) -> [UInt8] { le16(v & 0xFFFF) + le16(v >> 16 & 0xFFFF) }
    func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    let words = (0..<20_000).map { _ in ["batch", "item", "word", "report", "lorem", "ipsum", "data"][Int.random(in: 0..<7, using: &generator)] }
    let text = Array(words.joined(separator: " ").utf8)
    var pdf = Array("%PDF-1.7\n".utf8)
    for page in 0..<40 { pdf += Array("\(page) 0 obj << /Type /Page >> stream\n".utf8) + text.prefix(4000) + Array("\nendstream endobj\n".utf8) }
    pdf += Array("startxref\n0\n%%EOF\n".utf8)
    func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return be32(data.count) + body + be32(Int(CRC32.checksum(body)))
    }
    let png =
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", be32(640) + be32(480) + [8, 2, 0, 0, 0])
        + chunk("IDAT", (0..<150_000).map { _ in UInt8.random(in: 0...255, using: &generator) }) + chunk("IEND", [])
    let xml = Array(("<w:document>" + words.map { "<w:p><w:r><w:t>\($0)</w:t></w:r></w:p>" }.joined() + "</w:document>").utf8)
    var docx: [UInt8] = []
    var central: [UInt8] = []
    for (name, data) in [("[Content_Types].xml", Array("<Types/>".utf8)), ("word/document.xml", xml)] {
        let nameBytes = Array(name.utf8)
        let offset = docx.count
        docx +=
            [0x50, 0x4B, 0x03, 0x04] + le16(20) + le16(0) + le16(0) + le16(0) + le16(0) + le32(Int(CRC32.checksum(data))) + le32(data.count)
            + le32(data.count) + le16(nameBytes.count) + le16(0) + nameBytes + data
        central +=
            [0x50, 0x4B, 0x01, 0x02] + le16(20) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0) + le32(Int(CRC32.checksum(data)))
            + le32(data.count) + le32(data.count) + le16(nameBytes.count) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0) + le32(offset) + nameBytes
    }
    let centralOffset = docx.count
    docx += central + [0x50, 0x4B, 0x05, 0x06] + le16(0) + le16(0) + le16(2) + le16(2) + le32(central.count) + le32(centralOffset) + le16(0)
    let kinds: [(String, [UInt8])] = [("txt", text), ("pdf", pdf), ("png", png), ("docx", docx)]
    for index in 0..<count {
        let (ext, bytes) = kinds[index % kinds.count]
        let path = "\(folder)/file\(index).\(ext)"
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        files.append(path)
    }
    return files
}

func ingest(helper: String, count: Int) {
    let folder = NSTemporaryDirectory() + "batchd-bench-ingest-\(getpid())"
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let files = sampleFiles(in: folder, count: count)
    let items = files.enumerated().map { index, path in
        ClaimedItem(
            id: "job-\(index)", batchID: "batch-bench", tenantID: "ten-bench", seq: index + 1, attempt: 1, leaseOwner: "bench", processor: "ingest",
            collection: "default", timeoutSeconds: 60, content: nil, filePath: path, filename: (path as NSString).lastPathComponent, customID: nil,
            context: nil)
    }
    let pool = InspectionHelperPool(.init(executable: helper))
    defer { pool.shutdown() }
    let inProcess = IngestProcessor(isolation: .inProcess)
    let isolated = IngestProcessor(isolation: .helpers(pool))
    // Both the same way: two workers, as batchd's scheduler runs by default.
    func run(_ processor: IngestProcessor) -> Double {
        seconds {
            DispatchQueue.concurrentPerform(iterations: 2) { worker in
                for item in items where item.seq % 2 == worker {
                    if case .failed(let type, let message, _) = processor.process(item, control: .never) {
                        fatalError("\(item.filename ?? ""): \(type) \(message)")
                    }
                }
            }
        }
    }
    _ = run(isolated)  // helpers started, files cached
    // Alternated, so that a slower moment of a noisy machine falls on both.
    var direct = Double.infinity
    var helpers = Double.infinity
    for _ in 0..<4 {
        direct = min(direct, run(inProcess))
        helpers = min(helpers, run(isolated))
    }
    let bytes = files.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }
    print(
        String(
            format:
                "ingest of %d files (%.1f MB, txt/pdf/png/docx), 2 workers: in process %.0f items/s; in helpers %.0f items/s; ratio %.2f (target >= 0.8)",
            count, Double(bytes) / 1e6, Double(count) / direct, Double(count) / helpers, direct / helpers))
}

let arguments = CommandLine.arguments
switch arguments.dropFirst().first {
case "parse": parse()
case "paced" where arguments.count == 7:
    // paced PORT RATE SECONDS KEY PATH: a well-behaved client's p99 latency in ms.
    print(
        String(
            format: "%.3f",
            PacedClient.p99(
                port: UInt16(arguments[2]) ?? 80, rate: Double(arguments[3]) ?? 100, seconds: Double(arguments[4]) ?? 5, key: arguments[5],
                path: arguments[6])))
case "ingest" where arguments.count >= 3: ingest(helper: arguments[2], count: arguments.count > 3 ? Int(arguments[3]) ?? 400 : 400)
default:
    print("usage: batchd-bench parse | ingest HELPER [N] | paced PORT RATE SECONDS KEY PATH")
    exit(64)
}
