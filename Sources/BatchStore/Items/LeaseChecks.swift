import BatchModel

/// Where and when to look for leases that may have run out: one row a claim
/// (one a run of consecutive items it took), holding the batch, the first and
/// last `seq` of the run and the lease's end.
///
/// This is what lets no index on `items` name the item's state or lease: an
/// index on them (as there was) made every claim and completion write a new
/// entry into every index of the table; without one, PostgreSQL updates the row
/// in its page alone (a heap-only update). The rescue reads the checks that are
/// due rather than an index of leases.
///
/// The rule that keeps it exact: every item under a lease lies in the range of
/// a check due no later than its lease ends. A claim adds its check; renewing a
/// lease only moves its end later; a rescue that finds items of a due check
/// still leased moves the check to the earliest of their ends, and removes it
/// when none is left in its range.
struct LeaseChecks {
    let connection: any StoreConnection

    init(_ connection: any StoreConnection) { self.connection = connection }

    /// A due check, locked until the rescue commits on PostgreSQL (one another
    /// node's rescue holds is skipped).
    struct Check {
        let id: Int
        let batchID: String
        let seqs: ClosedRange<Int>
    }

    /// The runs of consecutive numbers in `seqs` (sorted or not), in order:
    /// `[1, 2, 3, 7, 8]` gives `1...3` and `7...8`.
    static func runs(of seqs: [Int]) -> [ClosedRange<Int>] {
        var runs: [ClosedRange<Int>] = []
        for seq in seqs.sorted() {
            if let last = runs.last, seq == last.upperBound + 1 {
                runs[runs.count - 1] = last.lowerBound...seq
            } else if runs.last?.contains(seq) != true {
                runs.append(seq...seq)
            }
        }
        return runs
    }

    /// Adds the checks of items just claimed from `batchID`, due when their
    /// lease ends (`leaseUntil`, milliseconds).
    func add(batchID: String, seqs: [Int], leaseUntil: Int64) throws(StoreError) {
        let insert = try connection.statement(Self.insertSQL)
        for run in Self.runs(of: seqs) {
            try insert.bind(.text(batchID), .int(run.lowerBound), .int(run.upperBound), .integer(leaseUntil)).enqueue()
        }
    }

    /// Up to `limit` checks due before `now`, earliest first.
    func due(now: Timestamp, limit: Int) throws(StoreError) -> [Check] {
        try connection.statement(connection.dialect == .postgres ? Self.duePostgresSQL : Self.dueSQL)
            .bind(.integer(now.milliseconds), .int(limit))
            .rows { Check(id: Int($0.int(0)), batchID: $0.text(1), seqs: Int($0.int(2))...Int($0.int(3))) }
    }

    /// After a rescue looked at `check`: due again at `next` (the earliest end
    /// of a lease still held in its range), or gone when `next` is nil.
    func settle(_ check: Check, next: Int64?) throws(StoreError) {
        if let next {
            try connection.statement("UPDATE lease_checks SET check_at = ? WHERE id = ?").bind(.integer(next), .int(check.id)).enqueue()
        } else {
            try connection.statement("DELETE FROM lease_checks WHERE id = ?").bind(.int(check.id)).enqueue()
        }
    }

    static let insertSQL = "INSERT INTO lease_checks (batch_id, first_seq, last_seq, check_at) VALUES (?, ?, ?, ?)"

    static let dueSQL = "SELECT id, batch_id, first_seq, last_seq FROM lease_checks WHERE check_at < ?1 ORDER BY check_at LIMIT ?2"

    /// On PostgreSQL every node rescues: a check another node is reading is left to it.
    static let duePostgresSQL = dueSQL + " FOR UPDATE SKIP LOCKED"

    /// The claim statement's part on PostgreSQL (`moved`: the items it leased,
    /// `cand`: the batch, `?3`: the lease's end): one check a run of
    /// consecutive items, as `runs(of:)` makes them.
    static let insertFromClaimPostgresSQL = """
        INSERT INTO lease_checks (batch_id, first_seq, last_seq, check_at)
        SELECT (SELECT id FROM cand), min(seq), max(seq), ?3 FROM (SELECT seq, seq - row_number() OVER (ORDER BY seq) AS run FROM moved) AS r
        GROUP BY run
        """
}
