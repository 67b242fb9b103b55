import ArgumentParser
import BatchModel
import BatchStore

struct TenantCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant", abstract: "Create, list and limit tenants.", subcommands: [Create.self, List.self, Limits.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a tenant.")
        @OptionGroup var location: StoreLocation
        @Argument(help: "The tenant's name (unique).") var name: String
        @Flag(help: "Succeed without change when a tenant of that name exists.") var ifMissing = false

        func run() throws {
            if let problem = Tenant.nameProblem(name) { throw CommandFailure(problem) }
            let connection = try location.open()
            let records = TenantRecords(connection)
            if ifMissing, let existing = try records.find(idOrName: name) {
                print(existing.id)
                return
            }
            let tenant = try records.create(name: name)
            print(tenant.id)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tenants.")
        @OptionGroup var location: StoreLocation

        func run() throws {
            let connection = try location.open()
            print(["TENANT", "NAME", "LIMIT", "WINDOW", "BURST", "CREATED"].joined(separator: "\t"))
            for tenant in try TenantRecords(connection).list() {
                let policy = tenant.rateLimit
                print(
                    [tenant.id, tenant.name, "\(policy.limit)", "\(policy.windowSeconds)", "\(policy.burst)", tenant.createdAt.iso8601]
                        .joined(separator: "\t"))
            }
        }
    }

    struct Limits: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a tenant's rate limit.")
        @OptionGroup var location: StoreLocation
        @Argument(help: "Tenant id or name.") var tenant: String
        @Option(help: "Requests per window.") var limit: Int?
        @Option(help: "Window length in seconds.") var window: Int?
        @Option(help: "Requests allowed at once.") var burst: Int?
        @Option(help: "Lower limit per window for writes (create, state changes, deletes).") var writeLimit: Int?
        @Flag(help: "Remove the separate write limit.") var noWriteLimit = false

        func run() throws {
            let connection = try location.open()
            var record = try findTenant(tenant, in: connection)
            if let limit { record.rateLimit.limit = limit }
            if let window { record.rateLimit.windowSeconds = window }
            if let burst { record.rateLimit.burst = burst }
            if let writeLimit { record.rateLimit.writeLimit = writeLimit }
            if noWriteLimit { record.rateLimit.writeLimit = nil }
            if let problem = record.rateLimit.problem { throw CommandFailure(problem) }
            try TenantRecords(connection).update(record)
            print(
                "\(record.id)\tlimit=\(record.rateLimit.limit)\twindow=\(record.rateLimit.windowSeconds)\tburst=\(record.rateLimit.burst)\twrite_limit=\(record.rateLimit.writeLimit.map(String.init) ?? "none")"
            )
        }
    }
}
