import BatchCodecs
import Testing

@testable import BatchModel

@Suite struct CacheSettingsTests {
    @Test func defaultsAreThirtySecondsActiveAndFiveMinutesFinished() {
        let settings = CacheSettings()
        for kind in CachedDocumentKind.allCases {
            for state in BatchState.allCases {
                #expect(settings.ttl(kind, state: state, tenantID: "ten-a") == (state.isFinal ? 300 : 30))
            }
        }
    }

    @Test func tenantOverridesWinOnlyWhereSet() throws {
        let table = try CacheSettings.parseTable(JSONParser.parse(#"{"status": {"running": 5}}"#)).get()
        let settings = CacheSettings(tenantOverrides: ["ten-a": table])
        #expect(settings.ttl(.status, state: .running, tenantID: "ten-a") == 5)
        #expect(settings.ttl(.status, state: .completed, tenantID: "ten-a") == 300)
        #expect(settings.ttl(.check, state: .running, tenantID: "ten-a") == 30)
        #expect(settings.ttl(.status, state: .running, tenantID: "ten-b") == 30)
    }

    @Test func groupsAndAllExpand() throws {
        let table = try CacheSettings.parseTable(JSONParser.parse(#"{"all": {"finished": 900, "active": 0}}"#)).get()
        for kind in CachedDocumentKind.allCases {
            #expect(table[kind]?[.completed] == 900)
            #expect(table[kind]?[.cancelled] == 900)
            #expect(table[kind]?[.running] == 0)
            #expect(table[kind]?[.queued] == 0)
        }
        let created = try CacheSettings.parseTable(JSONParser.parse(#"{"talonic": {"created": 12}}"#)).get()
        #expect(created == [.talonic: [.queued: 12]])
    }

    @Test(arguments: [
        (#"{"status": {"running": -1}}"#, "ttl.status.running"),
        (#"{"status": {"running": 86401}}"#, "ttl.status.running"),
        (#"{"status": {"running": 1.5}}"#, "ttl.status.running"),
        (#"{"status": {"running": "10"}}"#, "ttl.status.running"),
        (#"{"status": {"sleeping": 10}}"#, "ttl.status.sleeping"),
        (#"{"results": {"running": 10}}"#, "ttl.results"),
        (#"{"status": 10}"#, "ttl.status"),
        (#"[]"#, "ttl"),
    ])
    func badTablesNameTheField(_ text: String, _ field: String) throws {
        guard case .failure(let problem) = CacheSettings.parseTable(try JSONParser.parse(text)) else {
            Issue.record("\(text) was accepted")
            return
        }
        #expect(problem.field == field)
    }

    @Test func jsonRoundTrips() throws {
        let defaults = CacheSettings.builtInDefaults
        let parsed = try CacheSettings.parseTable(CacheSettings.json(defaults)).get()
        #expect(parsed == defaults)
        #expect(CacheSettings.merge(defaults, [.status: [.running: 1]])[.status]?[.running] == 1)
        #expect(CacheSettings.merge(defaults, [.status: [.running: 1]])[.status]?[.paused] == 30)
    }
}
