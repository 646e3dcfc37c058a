import Connections
import Foundation
import Logging
import ServiceLifecycle

/// Polls X for mentions (`GET /2/users/:id/mentions`) and direct messages (`GET /2/dm_events`)
/// every `poll_seconds`, honouring `x-rate-limit-remaining` and `x-rate-limit-reset` (X sends
/// no Retry-After).
///
/// Pages come newest first. The cursor moves with each stored page and says where a run of
/// pages has got to (`next_token`) and the newest id it has seen; `since_id` becomes that
/// newest id only when the run reaches its end. After a crash the run resumes at its page (or
/// starts again from `since_id`: every repeat is a no-op), so nothing before the cursor is lost.
final class XPoller: Service, Sendable {
    struct Cursor: Codable, Sendable {
        var since_id: String?
        var next_token: String?
        var newest: String?
    }

    let x: Connections.X
    let ctx: PollContext
    let oauth: OAuthToken?
    static let name = "X"

    init(_ x: Connections.X, ctx: PollContext, rotationFile: String?) {
        self.x = x
        self.ctx = ctx
        oauth = OAuthToken.x(x, http: ctx.http, metrics: ctx.metrics, rotationFile: rotationFile)
    }

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                if x.pollMentions { group.addTask { await self.loop(stream: "x.mentions") } }
                if x.pollDirectMessages { group.addTask { await self.loop(stream: "x.dm") } }
                try await group.waitForAll()
            }
            // A service that returns stops the whole server: with nothing to poll (webhook
            // only), stay until shutdown.
            if !Task.isShuttingDownGracefully { try? await gracefulShutdown() }
        } onGracefulShutdown: {}
    }

    private func loop(stream: String) async {
        await ctx.keepPolling(connection: Self.name, stream: stream) { try await self.pollOnce(stream: stream) }
    }

    /// Follows one run of pages to its end; the seconds to wait before the next.
    func pollOnce(stream: String) async throws -> Double {
        var cursor = try ctx.cursor(stream, as: Cursor.self) ?? Cursor()
        while true {
            let url = self.url(stream: stream, cursor: cursor)
            let response = try await get(url)
            switch response.status {
            case 200:
                break
            case 429:
                let until = Self.reset(response) ?? Date().addingTimeInterval(60)
                rateLimited(stream, until: until)
                return max(1, until.timeIntervalSinceNow + 1)
            case 400 where cursor.next_token != nil:
                // A pagination token the platform no longer knows: start the run again from since_id.
                ctx.logger.warning("X rejected a pagination token; starting the run again", metadata: ["stream": .string(stream)])
                cursor.next_token = nil
                continue
            case 401, 403:
                if let oauth, response.status == 401 { await oauth.invalidate() }
                ctx.metrics.poll(stream: stream, result: "auth")
                ctx.health.failed(Self.name, .reconnect, detail: "needs reconnecting: X answered \(response.status)")
                return 300
            default:
                throw PollFailure("X answered HTTP \(response.status)")
            }
            guard let json = response.json else { throw PollFailure("X answered 200 with a body that is not JSON") }
            let meta = json["meta"] as? [String: Any]
            let ids = ((json["data"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
            let pageNewest = (meta?["newest_id"] as? String) ?? ids.max { snowflake($1, isAfter: $0) }
            var next = cursor
            if let n = pageNewest, next.newest.map({ snowflake(n, isAfter: $0) }) ?? true { next.newest = n }
            let token = meta?["next_token"] as? String
            // Direct messages have no since_id: the run ends where it reaches what was seen.
            let reachedSeen = stream == "x.dm" && cursor.since_id.map { seen in ids.contains { !snowflake($0, isAfter: seen) } } == true
            if let token, !reachedSeen {
                next.next_token = token
            } else {
                next.next_token = nil
                next.since_id = next.newest ?? cursor.since_id
            }
            try await ctx.store(response.body, name: "poll \(stream)", stream: stream, cursor: next)
            ctx.metrics.poll(stream: stream, result: "ok")
            ctx.health.succeeded(Self.name)
            cursor = next
            if let until = Self.exhausted(response) {
                rateLimited(stream, until: until)
                if cursor.next_token != nil { try await cancellableSleep(max(1, until.timeIntervalSinceNow + 1)) } else {
                    return max(Double(x.pollSeconds), until.timeIntervalSinceNow + 1)
                }
            }
            if cursor.next_token == nil { return Double(x.pollSeconds) }
        }
    }

    private func rateLimited(_ stream: String, until: Date) {
        ctx.metrics.poll(stream: stream, result: "rate_limited")
        ctx.metrics.rateLimitWait("x", seconds: max(0, until.timeIntervalSinceNow))
        ctx.health.failed(Self.name, .rateLimited, detail: "rate limited", until: until)
    }

    private func url(stream: String, cursor: Cursor) -> String {
        var q: [String]
        let path: String
        if stream == "x.mentions" {
            path = "/2/users/\(x.userID)/mentions"
            q = ["max_results=100", "expansions=author_id",
                 "tweet.fields=created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets,lang",
                 "user.fields=username,name"]
            if let s = cursor.since_id { q.append("since_id=" + PlatformHTTP.query(s)) }
        } else {
            path = "/2/dm_events"
            q = ["event_types=MessageCreate", "max_results=100", "expansions=sender_id",
                 "dm_event.fields=id,text,event_type,created_at,sender_id,dm_conversation_id", "user.fields=username,name"]
        }
        if let t = cursor.next_token { q.append("pagination_token=" + PlatformHTTP.query(t)) }
        return x.apiURL + path + "?" + q.joined(separator: "&")
    }

    private func get(_ url: String) async throws -> PlatformResponse {
        let token: String
        if let oauth { token = try await oauth.token().reveal() } else { token = x.bearerToken?.reveal() ?? "" }
        return try await ctx.http.send(.GET, url, headers: [("Authorization", "Bearer " + token)])
    }

    /// When the window's calls are used up (`x-rate-limit-remaining: 0`), its reset time.
    static func exhausted(_ r: PlatformResponse) -> Date? {
        guard r.header("x-rate-limit-remaining").flatMap(Int.init) == 0 else { return nil }
        return reset(r)
    }

    static func reset(_ r: PlatformResponse) -> Date? {
        r.header("x-rate-limit-reset").flatMap(Double.init).map { Date(timeIntervalSince1970: $0) }
    }
}

struct PollFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Sleeps, ending early (with CancellationError) when the service shuts down.
func cancellableSleep(_ seconds: Double) async throws {
    try await cancelWhenGracefulShutdown {
        try await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1e9))
    }
}
