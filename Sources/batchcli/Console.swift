import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Standard output and error, and what kind of thing each is.
enum Console {
    static func out(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }
    static func error(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }
    static func raw(_ data: Data) { FileHandle.standardOutput.write(data) }

    static var outputIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
    static var errorIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// The terminal's width in columns (80 when it cannot be told).
    static var width: Int {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }

    /// A JSON value as one line.
    static func jsonLine(_ object: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

extension Console {
    /// Redraws the one progress line on standard error; nil clears it.
    static func progress(_ text: String?) {
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + (text ?? "")).utf8))
    }
}
