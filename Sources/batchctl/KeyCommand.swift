public import ArgumentParser
import BatchModel
import BatchStore

extension KeyRole: ExpressibleByArgument {}

struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "Create, list and revoke API keys.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a key. The key is printed once and stored only as a hash.")
        @OptionGroup var location: StoreLocation
        @Option(help: "Tenant id or name.") var tenant: String
        @Option(help: "client, admin (its own tenant's keys, limits read-only, cache flushes) or operator (every tenant, server settings).") var role:
            KeyRole = .client
        @Option(help: "A label for listings.") var name: String = ""
        @Flag(help: "Print only the key.") var secretOnly = false

        func run() throws {
            let connection = try location.open()
            let owner = try findTenant(tenant, in: connection)
            let (record, secret) = try KeyRecords(connection).create(tenantID: owner.id, role: role, name: name)
            if secretOnly {
                print(secret.value)
            } else {
                print("key_id\t\(record.id)\ntenant\t\(owner.id)\nrole\t\(record.role.rawValue)\nkey\t\(secret.value)")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (prefixes only; secrets are never stored).")
        @OptionGroup var location: StoreLocation
        @Option(help: "Only this tenant's keys (id or name).") var tenant: String?

        func run() throws {
            let connection = try location.open()
            let tenantID = try tenant.map { try findTenant($0, in: connection).id }
            print(["KEY", "TENANT", "ROLE", "PREFIX", "NAME", "CREATED", "REVOKED"].joined(separator: "\t"))
            for key in try KeyRecords(connection).list(tenantID: tenantID) {
                print(
                    [key.id, key.tenantID, key.role.rawValue, key.prefix + "…", key.name, key.createdAt.iso8601, key.revokedAt?.iso8601 ?? "-"]
                        .joined(separator: "\t"))
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key; running servers stop accepting it within seconds.")
        @OptionGroup var location: StoreLocation
        @Argument(help: "The key id (key-…).") var keyID: String

        func run() throws {
            let connection = try location.open()
            guard try KeyRecords(connection).find(id: keyID) != nil else { throw CommandFailure("no key with id '\(keyID)'") }
            let record = try KeyRecords(connection).revoke(id: keyID)
            print("\(record.id)\trevoked \(record.revokedAt?.iso8601 ?? "")")
        }
    }
}
