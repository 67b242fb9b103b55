import Foundation
import Lifecycle
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct ReadableWaitTests {
    /// A connected pair of Unix stream sockets, both ends closed when done.
    private func withSocketPair(_ body: (Int32, Int32) throws -> Void) throws {
        var ends: [Int32] = [-1, -1]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &ends) == 0)
        defer {
            close(ends[0])
            close(ends[1])
        }
        try body(ends[0], ends[1])
    }

    @Test func timesOutWithNothingToReadAndIsReadableOnceSomethingArrives() throws {
        try withSocketPair { ours, theirs in
            #expect(ReadableWait.wait(fd: ours, timeoutMilliseconds: 20) == .timedOut)
            var byte: UInt8 = 7
            #expect(write(theirs, &byte, 1) == 1)
            #expect(ReadableWait.wait(fd: ours, timeoutMilliseconds: 1000) == .readable)
            #expect(read(ours, &byte, 1) == 1)
            #expect(ReadableWait.wait(fd: ours, timeoutMilliseconds: 0) == .timedOut)
        }
    }

    @Test func theEndOfTheStreamIsReadable() throws {
        try withSocketPair { ours, theirs in
            shutdown(theirs, Int32(SHUT_WR))
            #expect(ReadableWait.wait(fd: ours) == .readable)
        }
    }

    /// The reason the type exists: the peer reading what we sent must not wake us.
    /// 200 messages sent, then a 300 ms wait while the peer reads them one by one;
    /// a thread blocked in read(2) would be woken for each (a voluntary context
    /// switch each time), one in poll(2) sleeps through.
    @Test func thePeerConsumingWhatWeSentDoesNotWakeTheWait() throws {
        try withSocketPair { ours, theirs in
            let messages = 200
            for index in 0..<messages {
                var byte = UInt8(truncatingIfNeeded: index)
                #expect(write(ours, &byte, 1) == 1)
            }
            let switches = Mutex<Int?>(nil)
            let waited = DispatchSemaphore(value: 0)
            let started = DispatchSemaphore(value: 0)
            try WorkerThread.start(name: "readable-wait") {
                let before = Self.voluntarySwitchesOfThisThread()
                started.signal()
                let outcome = ReadableWait.wait(fd: ours, timeoutMilliseconds: 300)
                let after = Self.voluntarySwitchesOfThisThread()
                switches.withLock { $0 = outcome == .timedOut ? after - before : -1 }
                waited.signal()
            }
            started.wait()
            usleep(20_000)  // the thread is in poll by now
            var byte: UInt8 = 0
            for _ in 0..<messages {
                #expect(read(theirs, &byte, 1) == 1)
                usleep(200)
            }
            waited.wait()
            let counted = try #require(switches.withLock { $0 })
            // The one sleep (and a stray preemption or two), not one wake a message.
            #expect(counted >= 0 && counted < 10, "\(counted) voluntary switches while waiting")
        }
    }

    private static func voluntarySwitchesOfThisThread() -> Int {
        let status = (try? String(contentsOfFile: "/proc/thread-self/status", encoding: .utf8)) ?? ""
        for line in status.split(separator: "\n") where line.hasPrefix("voluntary_ctxt_switches:") {
            return Int(line.split(separator: "\t").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "") ?? 0
        }
        return 0
    }
}
