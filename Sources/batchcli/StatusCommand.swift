import ArgumentParser
import BatchClient
import Foundation

/// `batchcli status ID`: the batch's progress in one line, or its status document.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show a batch's progress.", discussion: "batchcli status batch-abc123 --output json")

    @OptionGroup var options: ClientOptions
    @Argument(help: "The batch id.") var batchID: String

    func run() throws {
        try reporting {
            let response = try options.client().send("GET", "/v1/batches/\(BatchPath.escaped(batchID))").requireSuccess()
            if options.output == .json {
                Console.out(Console.jsonLine(response.data))
                return
            }
            guard let progress = BatchProgress(envelope: response.body) else { throw CLIFailure(.unavailable("the answer is not a status document")) }
            Console.out("\(progress.batchID)  " + ProgressLine().render(progress, rate: nil, width: 200))
        }
    }
}

/// `batchcli list`: the tenant's batches, newest first, one a line.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List batches.", discussion: "batchcli list --status running,created --limit 50")

    @OptionGroup var options: ClientOptions
    @Option(help: "Only batches in these states (comma-separated).") var status: String?
    @Option(help: "At most this many (1–100).") var limit: Int = 20

    func run() throws {
        try reporting {
            var path = "/v1/batches?limit=\(limit)"
            if let status { path += "&status=" + BatchPath.escaped(status) }
            let response = try options.client().send("GET", path).requireSuccess()
            let batches = response.object["data"] as? [[String: Any]] ?? []
            for batch in batches {
                if options.output == .json {
                    Console.out(Console.jsonLine(batch))
                } else {
                    let id = batch["batch_id"] as? String ?? batch["id"] as? String ?? "?"
                    Console.out("\(id)  \(batch["status"] as? String ?? "?")  \(batch["batch_name"] as? String ?? batch["name"] as? String ?? "")")
                }
            }
        }
    }
}

/// Path pieces from the command line, escaped so they stay one segment.
enum BatchPath {
    static func escaped(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#&=+"))) ?? text
    }
}
