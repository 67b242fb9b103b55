/// One request as libfcgi hands it over: the CGI parameters nginx sent and the body.
///
/// Knows nothing of HTTP routing or batches; the layer above turns it into its
/// own request value.
public struct FastCGIRequest: Sendable {
    /// Every FastCGI parameter (`REQUEST_METHOD`, `DOCUMENT_URI`, `HTTP_*`, …).
    public var params: FastCGIParams
    /// The body, read whole when it fits the server's `maxBufferedBodyBytes`; empty otherwise.
    public var body: [UInt8]
    /// A larger body (up to `maxBodyBytes`), left for the responder to read in pieces.
    public var bodyStream: FastCGIBodyStream?
    /// `CONTENT_LENGTH` as nginx declared it (0 when absent or malformed).
    public var declaredLength: Int
    /// The declared length was over `maxBodyBytes`: the body was not read, and is
    /// discarded after the response so a kept-open connection stays in step.
    public var bodyTooLarge: Bool
    /// The stream ended before `declaredLength` bytes arrived.
    public var bodyTruncated: Bool

    public init(
        params: FastCGIParams, body: [UInt8] = [], bodyStream: FastCGIBodyStream? = nil, declaredLength: Int = 0, bodyTooLarge: Bool = false,
        bodyTruncated: Bool = false
    ) {
        self.params = params
        self.body = body
        self.bodyStream = bodyStream
        self.declaredLength = declaredLength
        self.bodyTooLarge = bodyTooLarge
        self.bodyTruncated = bodyTruncated
    }
}
