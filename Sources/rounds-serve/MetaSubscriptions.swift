import Connections
import Crypto
import Foundation
import InboxModel
import ServiceLifecycle

/// Meta only calls in, so a Page whose subscription is gone (never made, or dropped by Meta
/// after its webhook kept failing) looks exactly like a quiet Page. At start and every 10
/// minutes this asks each Page's `subscribed_apps` edge with the Page's token, and Meta's
/// connection state says what it found: ✓ only when every Page is subscribed and its token works.
final class MetaSubscriptions: Service, Sendable {
    let meta: Connections.Meta
    let ctx: PollContext
    static let name = "Meta"
    static let interval = 600.0

    init(_ meta: Connections.Meta, ctx: PollContext) {
        self.meta = meta
        self.ctx = ctx
    }

    func run() async throws {
        var backoff = Backoff()
        while !Task.isShuttingDownGracefully {
            var wait = Self.interval
            do {
                if let problem = try await firstProblem() {
                    ctx.health.failed(Self.name, problem.state, detail: problem.detail)
                } else {
                    ctx.health.succeeded(Self.name)
                }
                backoff.reset()
            } catch {
                wait = min(Self.interval, backoff.next())
                ctx.health.failed(Self.name, .error, detail: String("\(error)".prefix(120)), until: Date().addingTimeInterval(wait))
            }
            do { try await cancellableSleep(wait) } catch { return }
        }
    }

    /// The first Page that is not subscribed or whose token Meta refuses, if any.
    func firstProblem() async throws -> (state: ConnectionStatus.State, detail: String)? {
        for page in meta.pages {
            let token = page.accessToken.reveal()
            // appsecret_proof: required by apps that enable "Require App Secret"; harmless otherwise.
            let proof = HMAC<SHA256>.authenticationCode(for: Data(token.utf8), using: SymmetricKey(data: Data(meta.appSecret.reveal().utf8)))
                .map { String(format: "%02x", $0) }.joined()
            let url = "\(meta.graphURL)/\(page.id)/subscribed_apps?appsecret_proof=\(proof)"
            let r = try await ctx.http.send(.GET, url, headers: [("Authorization", "Bearer " + token)])
            if r.status == 200 {
                let apps = (r.json?["data"] as? [[String: Any]]) ?? []
                if apps.isEmpty { return (.error, "Page \(page.id) is not subscribed: POST /\(page.id)/subscribed_apps (docs/operations.md)") }
                continue
            }
            let error = r.json?["error"] as? [String: Any]
            let code = (error?["code"] as? NSNumber)?.intValue ?? 0
            let trace = (error?["fbtrace_id"] as? String).map { ", fbtrace_id \($0.prefix(40))" } ?? ""
            ctx.logger.warning("Meta subscription check failed", metadata: ["page": .string(page.id), "status": .stringConvertible(r.status),
                                                                           "code": .stringConvertible(code), "trace": .string(trace)])
            switch code {
            case 190, 102: return (.reconnect, "needs reconnecting: Page \(page.id) token refused (\(code))")
            case 4, 17, 32, 613, 80001...80006: return (.rateLimited, "rate limited checking Page \(page.id) (\(code))")
            case 10, 200...299: return (.reconnect, "needs reconnecting: the app lacks a permission for Page \(page.id) (\(code))")
            default: throw PollFailure("Meta answered HTTP \(r.status) (code \(code)\(trace)) checking Page \(page.id)")
            }
        }
        return nil
    }
}
