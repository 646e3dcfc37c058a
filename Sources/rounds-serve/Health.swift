import Foundation
import InboxModel
import Logging
import Store

/// Each connection's state, kept in memory for `/readyz` and written to the inbox for the
/// console's status line when it changes (and at least every 30 s while calls succeed).
final class Health: @unchecked Sendable {
    private let inbox: InboxDatabase
    private let logger: Logger
    private let lock = NSLock()
    private var current: [String: ConnectionStatus] = [:]
    private var persistedAt: [String: Int64] = [:]
    /// Writes happen here, in order, never on a request's path.
    private let writer = DispatchQueue(label: "rounds.serve.health")

    init(inbox: InboxDatabase, logger: Logger) {
        self.inbox = inbox
        self.logger = logger
    }

    var statuses: [ConnectionStatus] { lock.withLock { current.values.sorted { $0.name < $1.name } } }

    func succeeded(_ name: String) {
        record(name, .ok, detail: "")
    }

    func failed(_ name: String, _ state: ConnectionStatus.State, detail: String, until: Date? = nil) {
        record(name, state, detail: detail, until: until)
    }

    private func record(_ name: String, _ state: ConnectionStatus.State, detail: String, until: Date? = nil) {
        let now = AuditEvent.nowMs()
        let untilMs = until.map { Int64($0.timeIntervalSince1970 * 1000) }
        let (status, write): (ConnectionStatus, Bool) = lock.withLock {
            var s = current[name] ?? ConnectionStatus(name: name, state: state, updatedAt: now)
            let changed = s.state != state || s.detail != detail || s.until != untilMs || current[name] == nil
            s.state = state
            s.detail = detail
            s.until = untilMs
            s.updatedAt = now
            if state == .ok { s.lastSuccessAt = now } else { s.lastErrorAt = now }
            current[name] = s
            let due = changed || now - (persistedAt[name] ?? 0) >= 30_000
            if due { persistedAt[name] = now }
            return (s, due)
        }
        guard write else { return }
        if state != .ok {
            logger.warning("connection \(name): \(state.rawValue)", metadata: ["connection": .string(name), "detail": .string(detail)])
        } else {
            logger.info("connection \(name): ok", metadata: ["connection": .string(name)])
        }
        writer.async { [inbox, logger] in
            do { try inbox.recordConnectionStatus(status) } catch {
                logger.error("cannot record connection status", metadata: ["error": .string("\(error)")])
            }
        }
    }
}

/// Runs blocking inbox work off the cooperative thread pool.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { c in
        DispatchQueue.global().async { c.resume(with: Result { try body() }) }
    }
}

/// Sleeps `seconds`, or less if the service is shutting down (then throws CancellationError).
func pause(_ seconds: Double) async throws {
    try await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1e9))
}
