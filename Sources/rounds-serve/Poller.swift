import Foundation
import IngestPipeline
import Logging
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

/// Snowflake ids (X) compared as numbers: longer is later.
func snowflake(_ a: String, isAfter b: String) -> Bool {
    a.count != b.count ? a.count > b.count : a > b
}
