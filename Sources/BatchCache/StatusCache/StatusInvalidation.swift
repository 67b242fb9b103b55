public import BatchModel

/// What a process tells every other one through Redis when cached status
/// documents stop being true: a batch's, a tenant's, or all of them. Each process
/// drops its mirrored copies (`StatusCacheMirror`) on hearing it.
///
/// On the wire (a Pub/Sub message on `channel`): `b <tenant> <batch>`, `t <tenant>`
/// or `*`. Tenant and batch ids hold no spaces; anything that does not read as
/// one of the three is taken as `*` (dropping too much is safe, too little is not).
public enum StatusInvalidation: Sendable, Equatable {
    case batch(BatchIdentity)
    case tenant(String)
    case all

    /// The Pub/Sub channel every batchd process subscribes to.
    public static let channel = "bd:cinv"

    public var message: String {
        switch self {
        case .batch(let batch): "b \(batch.tenantID) \(batch.batchID)"
        case .tenant(let tenantID): "t \(tenantID)"
        case .all: "*"
        }
    }

    /// Reads a message; total (any bytes give an answer) and linear.
    public init(message bytes: [UInt8]) {
        let parts = bytes.split(separator: 0x20, omittingEmptySubsequences: false)
        switch (parts.first.map(Array.init), parts.count) {
        case ([0x62]?, 3) where !parts[1].isEmpty && !parts[2].isEmpty:
            self = .batch(BatchIdentity(tenantID: String(decoding: parts[1], as: UTF8.self), batchID: String(decoding: parts[2], as: UTF8.self)))
        case ([0x74]?, 2) where !parts[1].isEmpty:
            self = .tenant(String(decoding: parts[1], as: UTF8.self))
        default:
            self = .all
        }
    }
}
