import Foundation
import Store

/// Commits webhook bodies to the spool on a thread of its own, many requests to one
/// transaction: a request waits for the commit that holds its body (synced to disk), never for
/// a lock of its own, and the event loop never blocks on SQLite.
final class SpoolWriter: @unchecked Sendable {
    private typealias Waiter = (entry: SpoolEntry, done: CheckedContinuation<Bool, Error>)
    private let inbox: InboxDatabase
    private let condition = NSCondition()
    private var waiting: [Waiter] = []
    private var stopped = false
    /// Told after each commit, so ingest starts at once.
    let onCommit: @Sendable () -> Void

    init(inbox: InboxDatabase, onCommit: @escaping @Sendable () -> Void) {
        self.inbox = inbox
        self.onCommit = onCommit
        let thread = Thread { [self] in loop() }
        thread.name = "rounds.serve.spool"
        thread.start()
    }

    /// Returns once `entry` is committed: true if newly kept, false for a repeat of a keyed
    /// delivery. Throws when the inbox cannot take it (the platform then retries).
    func keep(_ entry: SpoolEntry) async throws -> Bool {
        try await withCheckedThrowingContinuation { c in
            condition.withLock {
                if stopped {
                    c.resume(throwing: StoreError.cannotOpen(path: inbox.path, reason: "the server is shutting down"))
                    return
                }
                waiting.append((entry, c))
                condition.signal()
            }
        }
    }

    /// Commits what is waiting, then ends the thread.
    func stop() {
        condition.withLock {
            stopped = true
            condition.signal()
        }
    }

    private func loop() {
        while true {
            condition.lock()
            while waiting.isEmpty && !stopped { condition.wait() }
            let batch = waiting
            waiting = []
            let finished = stopped
            condition.unlock()
            if !batch.isEmpty {
                do {
                    let kept = try inbox.spool(batch.map(\.entry))
                    for (w, k) in zip(batch, kept) { w.done.resume(returning: k) }
                    onCommit()
                } catch {
                    for w in batch { w.done.resume(throwing: error) }
                }
            }
            if finished && batch.isEmpty { return }
        }
    }
}
