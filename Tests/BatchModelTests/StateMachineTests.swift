import Testing

@testable import BatchModel

@Suite struct BatchStateMachineTests {
    static let fresh = BatchState.Facts(hasStarted: false, retryableItems: 0)
    static let started = BatchState.Facts(hasStarted: true, retryableItems: 0)
    static let withFailures = BatchState.Facts(hasStarted: true, retryableItems: 3)

    /// Every (action, state) pair, spelled out: what is not listed must be refused.
    @Test(arguments: BatchAction.allCases)
    func everyActionFromEveryState(_ action: BatchAction) {
        let expected: [BatchState: BatchState] =
            switch action {
            case .cancel: [.accumulating: .cancelled, .queued: .cancelled, .running: .cancelled, .paused: .cancelled, .cancelled: .cancelled]
            case .submit: [.accumulating: .queued]
            case .pause: [.queued: .paused, .running: .paused]
            case .resume: [.paused: .running]
            case .retryFailed: [.completed: .queued]
            }
        for state in BatchState.allCases {
            #expect(state.applying(action, facts: Self.withFailures) == expected[state], "\(action) from \(state)")
        }
    }

    @Test func resumeReturnsToQueuedWhenNothingStarted() {
        #expect(BatchState.paused.applying(.resume, facts: Self.fresh) == .queued)
        #expect(BatchState.paused.applying(.resume, facts: Self.started) == .running)
    }

    @Test func retryNeedsSomethingToRetry() {
        #expect(BatchState.completed.applying(.retryFailed, facts: Self.started) == nil)
        #expect(BatchState.completed.allowedActions(facts: Self.started) == [])
        #expect(BatchState.completed.allowedActions(facts: Self.withFailures) == [.retryFailed])
    }

    @Test func allowedActionsForConflicts() {
        #expect(BatchState.running.allowedActions(facts: Self.started) == [.cancel, .pause])
        #expect(BatchState.accumulating.allowedActions(facts: Self.fresh) == [.cancel, .submit])
        #expect(BatchState.failed.allowedActions(facts: Self.fresh) == [])
    }

    @Test func schedulerMoves() {
        for state in BatchState.allCases {
            #expect(state.starting() == (state == .queued ? .running : nil))
            #expect(state.finishing() == ([.queued, .running, .paused].contains(state) ? .completed : nil))
        }
    }

    @Test func runnableStates() {
        #expect(BatchState.allCases.filter(\.isRunnable) == [.queued, .running])
    }
}

@Suite struct ItemStateMachineTests {
    @Test(arguments: ItemEvent.allCases)
    func everyEventFromEveryState(_ event: ItemEvent) {
        let expected: [ItemState: ItemState] =
            switch event {
            case .claim: [.pending: .processing]
            case .succeed: [.processing: .succeeded]
            case .fail: [.processing: .failed]
            case .cancel: [.pending: .cancelled, .processing: .cancelled]
            case .expire: [.pending: .expired]
            case .rescue: [.processing: .pending]
            case .retry: [.failed: .pending, .expired: .pending]
            }
        for state in ItemState.allCases {
            #expect(state.applying(event) == expected[state], "\(event) from \(state)")
        }
    }

    @Test func finalStates() {
        #expect(ItemState.allCases.filter(\.isFinal) == [.succeeded, .failed, .cancelled, .expired])
    }
}
