/// Admission before the body: nginx asks batchd, in a subrequest without the
/// body, whether a request that carries a large body may go on (its key, its
/// tenant's rate limit). A refused request's body is never buffered or passed
/// on, so a tenant held at its limit costs a small request, not its bodies. An
/// admitted request then arrives with its body, its rate limit already charged.
///
/// Both marks are FastCGI parameters only nginx sets (`BATCHD_ADMISSION`,
/// `BATCHD_ADMITTED`); a client's headers can only arrive as `HTTP_*`.
public enum RequestAdmission: Sendable, Equatable {
    /// An ordinary request: authenticated and rate-limited as usual.
    case none
    /// nginx's admission subrequest: answer whether the request may go on.
    case check
    /// The request admission let through: its rate limit is already charged.
    case admitted

    public init(check: String?, admitted: String?) {
        if check == "1" {
            self = .check
        } else if admitted == "1" {
            self = .admitted
        } else {
            self = .none
        }
    }

    /// The header of an admission answer that says the rate limit was charged
    /// (nginx hands it on as `BATCHD_ADMITTED`).
    public static let chargedHeader = "X-Batchd-Admitted"
    /// The status a refused request gets, and its JSON body, on the 403 nginx's
    /// `auth_request` needs (it passes on only 2xx, 401 and 403).
    public static let refusalStatusHeader = "X-Batchd-Status"
    public static let refusalBodyHeader = "X-Batchd-Error"

    /// What nginx's `auth_request` gets for `response`: 204 when the request may
    /// go on; otherwise 403 carrying the real status and body in headers, for
    /// nginx to answer with.
    static func answer(for response: HTTPResponse) -> HTTPResponse {
        var answer = HTTPResponse(status: (200..<300).contains(response.status) ? 204 : 403, headers: response.headers, body: [])
        if answer.status == 403 {
            answer.setHeader(refusalStatusHeader, String(response.status))
            // A header is one line: the envelope is JSON, whose writer escapes every control character.
            answer.setHeader(refusalBodyHeader, String(decoding: response.body, as: UTF8.self))
        }
        return answer
    }
}
