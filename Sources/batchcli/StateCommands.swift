import ArgumentParser
import BatchClient
import Foundation

/// One state action on a batch (`PUT /v1/batches/{id}/state`): its command
/// name, the action's wire word and its help line.
protocol BatchStateAction {
    static var command: String { get }
    static var action: String { get }
    static var abstract: String { get }
}

/// `batchcli cancel|pause|resume|retry ID`: one command type for the four
/// actions; a move the batch's state does not allow is the server's 409, exit 65.
struct StateCommand<Action: BatchStateAction>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: Action.command, abstract: Action.abstract, discussion: "batchcli \(Action.command) batch-abc123")
    }

    @OptionGroup var options: ClientOptions
    @Argument(help: "The batch id.") var batchID: String

    func run() throws { try reporting { try apply() } }

    func apply() throws {
        let response = try options.client().send(
            "PUT", "/v1/batches/\(BatchPath.escaped(batchID))/state", headers: ["Content-Type": "application/json"],
            body: Data(#"{"action":"\#(Action.action)"}"#.utf8)
        ).requireSuccess()
        if options.output == .json {
            Console.out(Console.jsonLine(response.data))
        } else {
            Console.out("\(batchID)  \(response.data["status"] as? String ?? "")")
        }
    }
}

enum CancelAction: BatchStateAction {
    static let (command, action, abstract) = ("cancel", "cancel", "Cancel a batch: its unfinished items are cancelled.")
}

enum PauseAction: BatchStateAction {
    static let (command, action, abstract) = ("pause", "pause", "Pause a batch: no new item starts.")
}

enum ResumeAction: BatchStateAction {
    static let (command, action, abstract) = ("resume", "resume", "Resume a paused batch.")
}

enum RetryAction: BatchStateAction {
    static let (command, action, abstract) = ("retry", "retry_failed", "Run a completed batch's failed and expired items again.")
}
