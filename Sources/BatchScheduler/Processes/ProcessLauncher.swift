#if canImport(Glibc)
    import Glibc
#endif

/// Starts child processes the way batchd needs them: no shell, an explicit
/// environment, standard streams redirected, its own process group, and a clean
/// signal mask (batchd's threads block SIGTERM for sigwait, and children would
/// inherit that).
enum ProcessLauncher {
    enum Stream {
        /// A file opened for the child with these `open(2)` flags.
        case file(String, flags: Int32)
        /// A descriptor of batchd's, duplicated into place.
        case descriptor(Int32)
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts `arguments[0]` (an absolute path) with standard input, output and error from `streams`.
    static func spawn(_ arguments: [String], environment: [String], streams: (Stream, Stream, Stream)) throws(Failure) -> pid_t {
        guard let program = arguments.first else { throw Failure(description: "no command configured") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, stream) in [(Int32(0), streams.0), (1, streams.1), (2, streams.2)] {
            switch stream {
            case .file(let path, let flags): posix_spawn_file_actions_addopen(&actions, target, path, flags, 0o600)
            case .descriptor(let fd): posix_spawn_file_actions_adddup2(&actions, fd, target)
            }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGTERM, SIGINT, SIGPIPE, SIGHUP, SIGXFSZ] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, program, &actions, &attributes, argv, envp)
        guard rc == 0 else { throw Failure(description: String(cString: strerror(rc))) }
        return pid
    }

    /// How a child ended, from its `waitpid` status.
    enum Exit: Equatable {
        case status(Int32)
        case signal(Int32)

        init(waitStatus: Int32) {
            self = (waitStatus & 0x7F) == 0 ? .status((waitStatus >> 8) & 0xFF) : .signal(waitStatus & 0x7F)
        }
    }
}
