public import Dispatch

/// A long-running part of the daemon (the FastCGI server, the scheduler, the
/// webhook dispatcher, housekeeping) as `ServiceGroup` starts and stops it.
///
/// Stopping has two halves so that one deadline covers every service: the group
/// tells them all to stop taking work (`beginStopping`, which returns at once),
/// then waits for each one's work in flight (`finishStopping(by:)`) against the
/// same deadline.
public protocol Service: AnyObject, Sendable {
    /// For logs: which service did not finish in time.
    var name: String { get }
    /// Starts the service's threads; a service that cannot start throws and has
    /// started nothing.
    func start() throws
    /// Stops taking new work; work in flight carries on. Returns at once.
    func beginStopping()
    /// Waits until the work in flight has ended or `deadline` has passed. True
    /// when everything ended in time.
    func finishStopping(by deadline: DispatchTime) -> Bool
}

extension Service {
    /// Both halves of a stop, for a service stopped on its own (tests, tools).
    @discardableResult
    public func stop(grace seconds: Double) -> Bool {
        beginStopping()
        return finishStopping(by: .now() + seconds)
    }
}
