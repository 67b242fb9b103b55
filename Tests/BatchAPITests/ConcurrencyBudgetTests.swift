import Testing

@testable import BatchAPI

/// Slots per tenant and per key: taken, refused past the budget, given back.
@Suite struct ConcurrencyBudgetTests {
    @Test func slotsAreBoundedPerTenantAndPerKey() {
        let budget = ConcurrencyBudget(perTenant: 3, perKey: 2)
        #expect(budget.acquire(tenant: "a", key: "k1") == nil)
        #expect(budget.acquire(tenant: "a", key: "k1") == nil)
        #expect(budget.acquire(tenant: "a", key: "k1") == .key(limit: 2))
        #expect(budget.acquire(tenant: "a", key: "k2") == nil)
        #expect(budget.acquire(tenant: "a", key: "k3") == .tenant(limit: 3))
        // Another tenant is not affected.
        #expect(budget.acquire(tenant: "b", key: "k9") == nil)
        #expect(budget.inFlight(tenant: "a") == 3)
        budget.release(tenant: "a", key: "k1")
        #expect(budget.acquire(tenant: "a", key: "k3") == nil)
        for key in ["k1", "k2", "k3"] { budget.release(tenant: "a", key: key) }
        #expect(budget.inFlight(tenant: "a") == 0)
    }

    @Test func aTenantAtItsBudgetGetsA429InTheEnvelope() throws {
        let refusal = APIApplication.refusal(.tenant(limit: 16))
        #expect(refusal.code == .rateLimitError)
        #expect(refusal.details["scope"] == "concurrency_tenant")
        #expect(refusal.headers.contains { $0.name == "Retry-After" && $0.value == "1" })
    }
}
