public import Dispatch

/// The daemon's services in dependency order: started first to last, stopped
/// last to first against one deadline, so a stop never takes longer than the
/// grace period however many services there are.
public final class ServiceGroup: Sendable {
    public let services: [any Service]

    public init(_ services: [any Service]) { self.services = services }

    /// Starts each service in order. When one fails, those already started are
    /// stopped (in reverse, within `graceOnFailure` seconds) and the error is rethrown.
    public func start(graceOnFailure: Double = 5) throws {
        for (index, service) in services.enumerated() {
            do {
                try service.start()
            } catch {
                _ = Self.stop(Array(services[..<index]), deadline: .now() + graceOnFailure)
                throw error
            }
        }
    }

    /// Tells every service to stop taking work (last started first), then waits
    /// for each one in the same order until `deadline`. Returns the names of the
    /// services whose work was still running at the deadline.
    public func stop(by deadline: DispatchTime) -> [String] {
        Self.stop(services, deadline: deadline)
    }

    private static func stop(_ services: [any Service], deadline: DispatchTime) -> [String] {
        let order = services.reversed()
        for service in order { service.beginStopping() }
        return order.filter { !$0.finishStopping(by: deadline) }.map(\.name)
    }
}
