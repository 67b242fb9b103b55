import ArgumentParser
import BatchClient
import Foundation

/// `batchcli create`: a batch from files (one item each, uploaded as a form), or
/// from a rows file (JSONL/NDJSON, CSV or a JSON create body; `-` reads stdin).
/// Every create carries an Idempotency-Key (random unless given), so the
/// client's own retries never make two batches.
struct CreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a batch from files or from a rows file.",
        discussion: """
            batchcli create --items rows.jsonl --processor noop
            cat rows.csv | batchcli create --items - --format csv --max-concurrent 8
            batchcli create a.pdf b.png --processor ingest --collection reports
            """)

    @OptionGroup var options: ClientOptions

    @Argument(help: "Files to upload, one item each.")
    var files: [String] = []

    @Option(help: "A rows file: .jsonl/.ndjson, .csv, or .json (a whole create body); - for standard input.")
    var items: String?

    @Option(help: "The rows file's format when its name does not say: jsonl, csv or json.")
    var format: String?

    @Option(help: "The processor (noop, ingest, exec:NAME).") var processor: String?
    @Option(help: "The batch's name.") var name: String?
    @Option(help: "The media collection.") var collection: String?
    @Option(help: "Items processed at once.") var maxConcurrent: Int?
    @Option(help: "The Idempotency-Key to send (default: a new random one).") var idempotencyKey: String?

    func run() throws { try reporting { try create() } }

    func create() throws {
        let client = try options.client()
        guard files.isEmpty != (items == nil) else {
            throw CLIFailure(.usage("give either files to upload or --items, not both and not neither"))
        }
        var query: [URLQueryItem] = []
        if let processor { query.append(URLQueryItem(name: "processor", value: processor)) }
        if let name { query.append(URLQueryItem(name: "batch_name", value: name)) }
        if let collection { query.append(URLQueryItem(name: "collection", value: collection)) }
        if let maxConcurrent { query.append(URLQueryItem(name: "max_concurrent", value: String(maxConcurrent))) }
        var components = URLComponents()
        components.queryItems = query.isEmpty ? nil : query
        let path = "/v1/batches" + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
        let (file, contentType, temporary) = try body()
        defer { if temporary { try? FileManager.default.removeItem(at: file) } }
        let key = idempotencyKey ?? UUID().uuidString.lowercased()
        let showProgress = Console.errorIsTerminal && options.output == .text
        let progress: (@Sendable (Int64, Int64) -> Void)? = showProgress ? Self.showUpload : nil
        let response = try client.upload(
            "POST", path, headers: ["Content-Type": contentType, "Idempotency-Key": key], file: file, progress: progress
        ).requireSuccess()
        if showProgress { Console.progress(nil) }
        let data = response.data
        if options.output == .json {
            Console.out(Console.jsonLine(data))
        } else {
            Console.out(data["batch_id"] as? String ?? "")
        }
    }

    /// The upload's progress line: kB sent of kB in all.
    @Sendable static func showUpload(sent: Int64, total: Int64) {
        let all: Int64 = total > 0 ? total : 0
        Console.progress("uploading \(sent / 1024) / \(all / 1024) kB")
    }

    /// The request body as a file to upload, its content type, and whether the file is a temporary one.
    func body() throws -> (URL, String, Bool) {
        if let items {
            let kind = format ?? URL(fileURLWithPath: items).pathExtension.lowercased()
            let contentType: String
            switch kind {
            case "jsonl", "ndjson": contentType = "application/x-ndjson"
            case "csv": contentType = "text/csv"
            case "json": contentType = "application/json"
            default: throw CLIFailure(.usage("cannot tell the rows format of '\(items)': give --format jsonl, csv or json"))
            }
            guard items == "-" else { return (URL(fileURLWithPath: items), contentType, false) }
            // Standard input is spooled to a file first: an upload needs its length.
            let spooled = FileManager.default.temporaryDirectory.appendingPathComponent("batchcli-\(UUID().uuidString)")
            guard FileManager.default.createFile(atPath: spooled.path, contents: nil), let handle = try? FileHandle(forWritingTo: spooled) else {
                throw CLIFailure(.io("cannot write \(spooled.path)"))
            }
            while let chunk = try? FileHandle.standardInput.read(upToCount: 1 << 20), !chunk.isEmpty { handle.write(chunk) }
            try? handle.close()
            return (spooled, contentType, true)
        }
        let form = try MultipartForm.write(files: files.map { URL(fileURLWithPath: $0) })
        return (form.file, form.contentType, true)
    }
}
