import Foundation
import Testing

@testable import BatchAPI

/// Many workers noticing one outage make one transition, logged and counted once.
@Suite struct DependencyHealthTests {
    @Test func oneChangeIsCountedOnceHoweverManyReportIt() {
        let health = DependencyHealth()
        DispatchQueue.concurrentPerform(iterations: 64) { _ in health.record(.redis, up: false, reason: "gone") }
        #expect(!health.isUp(.redis))
        #expect(health.downCount(.redis) == 1)
        #expect(health.isUp(.sqlite))
        DispatchQueue.concurrentPerform(iterations: 64) { _ in health.record(.redis, up: true) }
        health.record(.redis, up: false)
        #expect(health.downCount(.redis) == 2)
        #expect(health.prometheusText.contains("batchd_dependency_up{dependency=\"redis\"} 0"))
        #expect(health.prometheusText.contains("batchd_dependency_down_total{dependency=\"redis\"} 2"))
        #expect(health.prometheusText.contains("batchd_dependency_up{dependency=\"sqlite\"} 1"))
    }
}
