public import Foundation

/// A `multipart/form-data` body of files (`file` parts), written to a temporary
/// file a piece at a time so an upload of any size costs the client constant memory.
public enum MultipartForm {
    public static func write(files: [URL]) throws(ClientError) -> (file: URL, contentType: String) {
        let boundary = "batchcli-" + UUID().uuidString
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("batchcli-form-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: target.path, contents: nil), let out = try? FileHandle(forWritingTo: target) else {
            throw .io("cannot write \(target.path)")
        }
        defer { try? out.close() }
        for file in files {
            guard let input = try? FileHandle(forReadingFrom: file) else { throw .io("cannot read \(file.path)") }
            defer { try? input.close() }
            let name = file.lastPathComponent.replacingOccurrences(of: "\"", with: "_").replacingOccurrences(of: "\r", with: "_")
                .replacingOccurrences(of: "\n", with: "_")
            out.write(
                Data(
                    "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(name)\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                        .utf8))
            while let chunk = try? input.read(upToCount: 1 << 20), !chunk.isEmpty { out.write(chunk) }
            out.write(Data("\r\n".utf8))
        }
        out.write(Data("--\(boundary)--\r\n".utf8))
        return (target, "multipart/form-data; boundary=\(boundary)")
    }
}
