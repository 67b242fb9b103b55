import BatchCodecs
import BatchModel
import Foundation

/// Reads the processors an admin registered, from a JSON file:
///
/// ```json
/// {"exec": {"wordcount": {"command": ["/usr/local/bin/wordcount", "--json"]}}}
/// ```
///
/// Each entry becomes `exec:NAME`. Names are letters, digits, `-` and `_`;
/// commands are absolute paths (no shell, no PATH lookup).
public enum ProcessorRegistry {
    public enum Problem: Error, CustomStringConvertible {
        case unreadable(String)
        case invalid(String)

        public var description: String {
            switch self {
            case .unreadable(let text), .invalid(let text): return text
            }
        }
    }

    public static func load(path: String, workDirectory: String, ingestRoot: String? = nil) throws(Problem) -> [ExecProcessor] {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable("cannot read processors file \(path)") }
        let document: JSONValue
        do {
            document = try JSONParser.parse(Array(data))
        } catch {
            throw .invalid("processors file \(path) is not JSON: \(error)")
        }
        guard case .object(let root) = document, root.keys.allSatisfy({ $0 == "exec" }) else {
            throw .invalid("processors file must be an object with an \"exec\" object")
        }
        guard case .object(let entries)? = root["exec"] else { return [] }
        var processors: [ExecProcessor] = []
        for (name, entry) in entries.pairs {
            guard !name.isEmpty, name.count <= 64, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                throw .invalid("processor name '\(name)' must be 1-64 letters, digits, '-' or '_'")
            }
            guard case .array(let parts)? = entry["command"], !parts.isEmpty else {
                throw .invalid("exec:\(name) needs \"command\": [\"/absolute/program\", \"args\"…]")
            }
            let command = parts.compactMap(\.stringValue)
            guard command.count == parts.count, command[0].hasPrefix("/") else {
                throw .invalid("exec:\(name): command must be strings, the first an absolute path")
            }
            processors.append(ExecProcessor(name: name, command: command, workDirectory: workDirectory, ingestRoot: ingestRoot))
        }
        return processors
    }
}
