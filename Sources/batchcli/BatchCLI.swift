import ArgumentParser
import BatchClient
import Foundation

/// `batchcli`: the tenant's client, on the tenant's own machine, over HTTP(S)
/// only. A second executable rather than a family inside `batchctl`: batchctl
/// is the operator's tool and opens the store itself (SQLite, libpq), which a
/// tenant neither has nor may touch; this one needs a URL and a key, nothing else.
@main
struct BatchCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batchcli",
        abstract: "Create batches, watch them and fetch their results from a batchd server.",
        discussion: """
            The server and key come from --url/--key or BATCHD_URL/BATCHD_KEY.

            Examples:
              batchcli create --items rows.jsonl --processor noop --name nightly
              batchcli create report.pdf scan.png --processor ingest
              batchcli wait batch-abc123 && batchcli results batch-abc123 -o results.jsonl
              batchcli list --status running --output json

            Exit status:
              0   done (for wait: the batch completed)
              3   the batch failed, 4 it was cancelled, 5 it expired (wait)
              64  a usage error
              65  the server refused the request
              69  the server could not be reached
              74  a local file could not be read or written
              75  wait --timeout ran out
            """,
        subcommands: [
            CreateCommand.self, StatusCommand.self, ListCommand.self, WaitCommand.self, ResultsCommand.self, StateCommand<CancelAction>.self,
            StateCommand<PauseAction>.self, StateCommand<ResumeAction>.self, StateCommand<RetryAction>.self,
        ])
}

/// The options every command takes: where the server is, the key, the output form.
struct ClientOptions: ParsableArguments {
    @Option(help: "The server's base URL (env BATCHD_URL), e.g. https://batch.example.com.")
    var url: String = ProcessInfo.processInfo.environment["BATCHD_URL"] ?? ""

    @Option(help: "The API key (env BATCHD_KEY).")
    var key: String = ProcessInfo.processInfo.environment["BATCHD_KEY"] ?? ""

    @Option(help: "text (for people) or json (one JSON document or line per answer, for scripts).")
    var output: OutputForm = .text

    @Flag(help: "Say on standard error whenever the client waits (Retry-After, reconnects).")
    var verbose = false

    func client() throws -> APIClient {
        guard !url.isEmpty else { throw CLIFailure(.usage("no server: give --url or set BATCHD_URL")) }
        do {
            let client = try APIClient(url: url, key: key)
            if verbose { client.onWait = { seconds, reason in Console.error("waiting \(seconds) s: \(reason)") } }
            return client
        } catch { throw CLIFailure(error) }
    }
}

enum OutputForm: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// A client error as ArgumentParser ends the process with it: its message on
/// standard error and its own exit status.
struct CLIFailure: Error, CustomStringConvertible {
    let error: ClientError
    init(_ error: ClientError) { self.error = error }
    var description: String { error.description }
}

extension ParsableCommand {
    /// Runs `body`, ending the process with the client error's exit status.
    func reporting(_ body: () throws -> Void) throws {
        do { try body() } catch let failure as CLIFailure {
            Console.error("batchcli: \(failure.error.description)")
            throw ExitCode(failure.error.exitCode)
        } catch let error as ClientError {
            Console.error("batchcli: \(error.description)")
            throw ExitCode(error.exitCode)
        }
    }
}
