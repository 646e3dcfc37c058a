import Foundation
import IngestPipeline
import Logging
import ServiceLifecycle
import Store

/// What the pollers share: the inbox, the classifier in force, the connections' health, the
/// metrics and the HTTP client.
struct PollContext: Sendable {
    let inbox: InboxDatabase
    let policies: PoliciesInForce
    let health: Health
    let metrics: ServerMetrics
    let http: PlatformHTTP
    let logger: Logger

    var live: LiveIngest { LiveIngest(inbox: inbox, classify: policies.current()) }

    func cursor<T: Decodable>(_ stream: String, as type: T.Type) throws -> T? {
        guard let text = try inbox.pollCursor(stream) else { return nil }
        return try? JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    /// Stores a page and its new cursor in one transaction (off the event loop).
    func store(_ page: Data, name: String, stream: String, cursor: some Encodable & Sendable) async throws {
        let live = self.live
        let cursorText = String(decoding: try JSONEncoder().encode(cursor), as: UTF8.self)
        let metrics = self.metrics, logger = self.logger
        try await blocking {
            let parsed = live.parse(page, name: name, format: .auto)
            let c = try live.storePage(parsed, stream: stream, cursor: cursorText)
            metrics.ingested(new: c.new, updated: c.updated, duplicates: c.duplicates, rejected: c.rejected, skipped: c.skipped)
            for r in parsed.rejectionReasons.prefix(20) { logger.warning("rejected record kept in the inbox", metadata: ["reason": .string(r)]) }
        }
    }
}

extension PollContext {
    /// Runs `once` (a run of pages; it returns the seconds until the next) until shutdown. A
    /// failure waits with backoff and sets the connection's state; a refused refresh token
    /// means reconnecting, looked at again every 5 minutes.
    func keepPolling(connection: String, stream: String, _ once: () async throws -> Double) async {
        var backoff = Backoff()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let wait: Double
            do {
                wait = try await once()
                backoff.reset()
            } catch is CancellationError {
                return
            } catch let e as OAuthToken.Failure {
                if case .revoked = e { health.failed(connection, .reconnect, detail: e.description); wait = 300 } else {
                    wait = backoff.next()
                    health.failed(connection, .error, detail: e.description, until: Date().addingTimeInterval(wait))
                }
            } catch {
                wait = backoff.next()
                metrics.poll(stream: stream, result: "error")
                health.failed(connection, .error, detail: String("\(error)".prefix(120)), until: Date().addingTimeInterval(wait))
            }
            do { try await cancellableSleep(wait) } catch { return }
        }
    }
}

/// Snowflake ids (X) compared as numbers: longer is later.
func snowflake(_ a: String, isAfter b: String) -> Bool {
    a.count != b.count ? a.count > b.count : a > b
}
