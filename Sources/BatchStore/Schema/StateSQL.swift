import BatchModel

/// State names as SQL text, taken from the state machines (`BatchState`,
/// `ItemState`): the statements that move batches and items name their states
/// only through these, so the machines stay the one place that knows which
/// states a move starts from and goes to. Statements are built once (static
/// lets), so their text never changes and they stay in the statement cache.
enum StateSQL {
    /// `'queued'`: one state as an SQL string literal (state names are plain
    /// lower-case words; nothing needs escaping).
    static func literal<State: RawRepresentable<String>>(_ state: State) -> String { "'\(state.rawValue)'" }

    /// `'queued', 'running'`: for `status IN (…)`.
    static func list<State: RawRepresentable<String>>(_ states: [State]) -> String { states.map { "'\($0.rawValue)'" }.joined(separator: ", ") }

    /// `status = 'pending'` (or `status IN (…)` for several) for the items
    /// `event` moves. No index names an item's state (see `LeaseChecks`): these
    /// conditions filter rows found by the `(batch_id, seq)` key or by id.
    static func itemsMovedBy(_ event: ItemEvent, column: String = "status") -> String {
        let sources = ItemState.sources(of: event)
        return sources.count == 1 ? "\(column) = \(literal(sources[0]))" : "\(column) IN (\(list(sources)))"
    }

    /// `'processing'`: where `event` takes an item.
    static func target(of event: ItemEvent) -> String { literal(ItemState.target(of: event)) }

    /// `CASE status WHEN 'queued' THEN 'running' ELSE status END`: a batch's state after its items are claimed.
    static let batchStateAfterClaim =
        "CASE status " + BatchState.startMoves.map { "WHEN \(literal($0.from)) THEN \(literal($0.to)) " }.joined() + "ELSE status END"
}
