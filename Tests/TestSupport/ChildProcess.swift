public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Why a child could not be started or did not finish.
public enum ChildProcessError: Error {
    case spawn(String, Int32)
    case failed(String, Int32?)
}

/// A child process started with posix_spawn and reaped with waitpid.
///
/// Not Foundation's `Process`: on Linux its exit monitoring can stall while the
/// test's cooperative threads are blocked, and these tests block them on purpose.
public struct ChildProcess: Sendable {
    public let pid: pid_t

    /// Starts `executable` with its output and errors appended to `outputPath`.
    public static func spawn(
        _ executable: String, _ arguments: [String], outputPath: String, environment: [String: String] = [:]
    ) throws -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Children start with no blocked signals and default handlers: the test
        // runner's threads may block or ignore SIGTERM, and a child would inherit that.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT, SIGCHLD] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard rc == 0 else { throw ChildProcessError.spawn(executable, rc) }
        return ChildProcess(pid: pid)
    }

    /// The exit status once the child has exited, or nil while it runs (reaps it).
    public func exitStatus() -> Int32? {
        var status: Int32 = 0
        let rc = waitpid(pid, &status, WNOHANG)
        guard rc == pid else { return nil }
        // WIFEXITED / WEXITSTATUS, spelled out: Swift does not import the macros.
        return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }

    /// Waits up to `seconds` for the child to exit and returns its status.
    public func wait(seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if let status = exitStatus() { return status }
            usleep(20_000)
        } while Date() < deadline
        return nil
    }

    public func signal(_ number: Int32) { kill(pid, number) }
}

extension ChildProcess {
    /// Runs `bash -c script` to completion; throws unless it exits 0 within `seconds`.
    public static func bash(_ script: String, outputPath: String = "/dev/null", seconds: Double = 60) throws {
        let child = try spawn("/bin/bash", ["-c", script], outputPath: outputPath)
        let status = child.wait(seconds: seconds)
        if status == nil { child.signal(SIGKILL) }
        guard status == 0 else { throw ChildProcessError.failed(script, status) }
    }
}
