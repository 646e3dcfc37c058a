import Connections
import Foundation
import IngestPipeline
import Ingest
import Logging
import NIOHTTP1
import ServiceLifecycle
import Store

/// Google Business Profile: the reviews named by Pub/Sub pushes (spooled by `/webhooks/gbp`)
/// are fetched and stored, and each location's reviews are polled (`updateTime desc`) to catch
/// anything a push missed.
final class GBPConnection: Service, Sendable {
    struct Cursor: Codable, Sendable {
        /// The newest `updateTime` stored by a finished run.
        var seen: String?
        var page_token: String?
        /// The newest `updateTime` of the run in progress.
        var run_newest: String?
    }

    let gbp: Connections.GBP
    let ctx: PollContext
    let token: OAuthToken
    private let nudged = NudgeFlag()
    static let name = "GBP"

    init(_ gbp: Connections.GBP, ctx: PollContext) {
        self.gbp = gbp
        self.ctx = ctx
        token = OAuthToken.gbp(gbp, http: ctx.http, metrics: ctx.metrics)
    }

    /// Called after each spool commit: a push may be waiting.
    func nudge() { nudged.set() }

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await self.pushLoop() }
                for location in gbp.locations { group.addTask { await self.pollLoop(location) } }
                try await group.waitForAll()
            }
            if !Task.isShuttingDownGracefully { try? await gracefulShutdown() }
        } onGracefulShutdown: {}
    }

    // MARK: - Pushes

    private func pushLoop() async {
        while !Task.isShuttingDownGracefully {
            do {
                while try await fetchPushed() {}
            } catch {
                ctx.logger.error("GBP push handling failed", metadata: ["error": .string("\(error)")])
            }
            // Woken by a new push within 0.1 s, else every 5 s for deferred ones.
            for _ in 0..<50 where !nudged.take() {
                do { try await cancellableSleep(0.1) } catch { return }
            }
        }
    }

    /// Handles the pushes waiting in the spool; true if there may be more.
    private func fetchPushed() async throws -> Bool {
        let inbox = ctx.inbox
        let waiting = try await blocking { try inbox.waitingSpool(source: "gbp-push", limit: 20) }
        for push in waiting { try await handle(push) }
        return waiting.count == 20
    }

    private func handle(_ push: SpooledBody) async throws {
        let inbox = ctx.inbox, name = "webhook gbp-push #\(push.id)"
        func reject(_ reason: String) async throws {
            let r = Rejection(sourceFile: name, line: 1, reason: reason, raw: push.body)
            _ = try await blocking { try inbox.storeSpooled([], rejections: [r], done: [push.id]) }
            ctx.logger.warning("GBP push kept as a rejected record", metadata: ["reason": .string(reason)])
        }
        guard let review = Self.reviewName(inPush: push.body) else {
            return try await reject("the push names no review (message.data has no reviewName or review_name)")
        }
        guard gbp.locations.contains(where: { review.hasPrefix($0 + "/reviews/") }) else {
            return try await reject("review \(review) is not at a configured location")
        }
        let response: PlatformResponse
        do {
            response = try await authorized(.GET, gbp.apiURL + "/v4/" + review)
        } catch {
            return try await deferPush(push, "\(error)")
        }
        switch response.status {
        case 200:
            let live = ctx.live, metrics = ctx.metrics
            try await blocking {
                let parsed = live.parse(response.body, name: name, format: .gbp)
                let outcomes = try inbox.storeSpooled(parsed.messages, rejections: parsed.rejections, done: [push.id])
                let c = LiveIngest.count(outcomes, parsed)
                metrics.ingested(new: c.new, updated: c.updated, duplicates: c.duplicates, rejected: c.rejected, skipped: c.skipped)
            }
            ctx.health.succeeded(Self.name)
        case 404:
            try await reject("review \(review) no longer exists (404): deleted before it was fetched")
        case 401, 403:
            await token.invalidate()
            ctx.health.failed(Self.name, .reconnect, detail: "needs reconnecting: Google answered \(response.status)")
            try await deferPush(push, "Google answered \(response.status)")
        default:
            if response.status == 429 { ctx.metrics.rateLimitWait("gbp", seconds: 60) }
            try await deferPush(push, "Google answered \(response.status)")
        }
    }

    private func deferPush(_ push: SpooledBody, _ reason: String) async throws {
        var b = Backoff(cap: 600)
        b.attempt = push.attempts
        let retry = AuditEvent.nowMs() + Int64(b.next() * 1000)
        let inbox = ctx.inbox
        try await blocking { try inbox.deferSpooled(push.id, retryAt: retry, reason: String(reason.prefix(200))) }
        ctx.health.failed(Self.name, .error, detail: String(reason.prefix(120)))
    }

    /// `reviewName` (or `review_name`) from a push's base64 `message.data`.
    static func reviewName(inPush body: Data) -> String? {
        guard let envelope = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any],
              let message = envelope["message"] as? [String: Any], let data = message["data"] as? String,
              let decoded = Data(base64Encoded: data) ?? Data(base64Encoded: data.replacingOccurrences(of: "-", with: "+")
                    .replacingOccurrences(of: "_", with: "/")),
              let notice = (try? JSONSerialization.jsonObject(with: decoded)) as? [String: Any],
              let name = (notice["reviewName"] ?? notice["review_name"]) as? String else { return nil }
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "accounts", parts[2] == "locations", parts[4] == "reviews",
              parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" } }) else { return nil }
        return name
    }

    // MARK: - Polling

    private func pollLoop(_ location: String) async {
        await ctx.keepPolling(connection: Self.name, stream: "gbp") { try await self.pollOnce(location) }
    }

    /// Pages through `location`'s reviews, newest update first, until it reaches those a
    /// finished run already stored; the seconds to wait before the next run.
    func pollOnce(_ location: String) async throws -> Double {
        let stream = "gbp:" + location
        var cursor = try ctx.cursor(stream, as: Cursor.self) ?? Cursor()
        while true {
            var url = gbp.apiURL + "/v4/" + location + "/reviews?pageSize=50&orderBy=updateTime%20desc"
            if let t = cursor.page_token { url += "&pageToken=" + PlatformHTTP.query(t) }
            let response = try await authorized(.GET, url)
            switch response.status {
            case 200: break
            case 429:
                ctx.metrics.poll(stream: "gbp", result: "rate_limited")
                ctx.metrics.rateLimitWait("gbp", seconds: 60)
                ctx.health.failed(Self.name, .rateLimited, detail: "quota exhausted", until: Date().addingTimeInterval(60))
                return 60
            case 400 where cursor.page_token != nil:
                cursor.page_token = nil
                continue
            case 401, 403:
                await token.invalidate()
                ctx.metrics.poll(stream: "gbp", result: "auth")
                ctx.health.failed(Self.name, .reconnect, detail: "needs reconnecting: Google answered \(response.status)")
                return 300
            default:
                throw PollFailure("Google answered HTTP \(response.status)")
            }
            guard let json = response.json else { throw PollFailure("Google answered 200 with a body that is not JSON") }
            let times = ((json["reviews"] as? [[String: Any]]) ?? []).compactMap { ($0["updateTime"] as? String).flatMap(RFC3339.date) }
            var next = cursor
            if let newest = times.max(), next.run_newest.flatMap(RFC3339.date).map({ newest > $0 }) ?? true {
                next.run_newest = RFC3339.string(newest)
            }
            let seen = cursor.seen.flatMap(RFC3339.date)
            let reachedSeen = seen.map { s in times.contains { $0 <= s } } ?? false
            if let t = json["nextPageToken"] as? String, !t.isEmpty, !reachedSeen {
                next.page_token = t
            } else {
                next.page_token = nil
                next.seen = next.run_newest ?? cursor.seen
                next.run_newest = nil
            }
            try await ctx.store(response.body, name: "poll gbp \(location)", stream: stream, cursor: next)
            ctx.metrics.poll(stream: "gbp", result: "ok")
            ctx.health.succeeded(Self.name)
            cursor = next
            if cursor.page_token == nil { return Double(gbp.pollSeconds) }
        }
    }

    /// A call with the current access token (refreshed first when it expires soon).
    private func authorized(_ method: HTTPMethod, _ url: String) async throws -> PlatformResponse {
        let access = try await token.token()
        return try await ctx.http.send(method, url, headers: [("Authorization", "Bearer " + access.reveal())])
    }
}

/// RFC 3339 times as Google writes them (with or without fractions of a second).
enum RFC3339 {
    static func date(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: s)
    }

    static func string(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: d)
    }
}

/// Set by the spool writer's thread, taken by a poller.
final class NudgeFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    func take() -> Bool { lock.withLock { defer { value = false }; return value } }
    func peek() -> Bool { lock.withLock { value } }
}
