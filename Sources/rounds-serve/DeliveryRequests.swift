import Connections
import Crypto
import Foundation
import InboxModel
import NIOHTTP1
import Store

/// One call to a platform, built before it is sent so that tests can assert it exactly.
struct PlatformCall: Sendable {
    var method: HTTPMethod
    var url: String
    var headers: [(String, String)]
    var body: Data?
}

/// The platforms' send APIs (docs/operations.md, "What is delivered"): where each action on
/// each kind of message goes, with which credentials. Tokens travel in the Authorization
/// header, never in a URL.
struct DeliveryRoutes: Sendable {
    let connections: Connections
    let xToken: OAuthToken?
    let gbpToken: OAuthToken?
    /// The accounts the server delivers through, as the inbox's queueing rules see them.
    let accounts: [DeliveryAccount]

    init(connections: Connections, xToken: OAuthToken?, gbpToken: OAuthToken?) {
        self.connections = connections
        self.xToken = xToken
        self.gbpToken = gbpToken
        var a: [DeliveryAccount] = []
        for p in connections.meta?.pages ?? [] {
            a.append(DeliveryAccount(platform: "facebook", account: p.id, humanAgent: p.humanAgent))
            if let ig = p.instagramAccountID { a.append(DeliveryAccount(platform: "instagram", account: ig, humanAgent: p.humanAgent)) }
        }
        if let x = connections.x { a.append(DeliveryAccount(platform: "x", account: x.userID)) }
        for l in connections.gbp?.locations ?? [] { a.append(DeliveryAccount(platform: "gbp", account: l)) }
        accounts = a
    }

    /// The page or account `d` leaves through: the one recorded when it was queued, else the
    /// one its message routes to (entries queued before the connection was configured).
    func account(for d: Delivery) -> String? {
        d.account ?? DeliveryRules.account(for: d.target, among: accounts)?.account
    }

    /// The connection's name in the status line and `/readyz`.
    static func connectionName(_ p: Platform) -> String {
        switch p {
        case .facebook, .messenger, .instagram: "Meta"
        case .x: "X"
        case .gbp: "GBP"
        }
    }

    /// The call that performs `d`, or a reason it can never leave (a permanent failure).
    func call(_ d: Delivery, now: Date = Date()) async throws -> Result<PlatformCall, Refused> {
        let t = d.target
        guard let account = account(for: d) else {
            return .failure(Refused("no connection for this message's \(t.platform.label) page or account"))
        }
        switch t.platform {
        case .facebook, .messenger, .instagram:
            guard let meta = connections.meta,
                  let page = meta.pages.first(where: { $0.id == account || $0.instagramAccountID == account }) else {
                return .failure(Refused("the connections file no longer has page or account \(account)"))
            }
            return metaCall(d, meta: meta, page: page, now: now)
        case .x:
            guard let x = connections.x else { return .failure(Refused("X is not in the connections file")) }
            return try await xCall(d, x: x)
        case .gbp:
            guard let gbp = connections.gbp else { return .failure(Refused("Google Business Profile is not in the connections file")) }
            return try await gbpCall(d, gbp: gbp, location: account)
        }
    }

    // MARK: - Meta

    private func metaCall(_ d: Delivery, meta: Connections.Meta, page: Connections.Meta.Page, now: Date) -> Result<PlatformCall, Refused> {
        let t = d.target
        let instagram = t.platform == .instagram
        func call(_ method: HTTPMethod, _ path: String, form: [(String, String)]? = nil, json: [String: Any]? = nil) -> Result<PlatformCall, Refused> {
            var headers = [("Authorization", "Bearer " + page.accessToken.reveal())]
            var body: Data?
            if let form { body = PlatformHTTP.form(form); headers.append(("Content-Type", "application/x-www-form-urlencoded")) }
            if let json { body = try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]); headers.append(("Content-Type", "application/json")) }
            return .success(PlatformCall(method: method, url: meta.graphURL + path + "?appsecret_proof=" + Self.appSecretProof(meta, page),
                                         headers: headers, body: body))
        }
        let id = PlatformHTTP.query(t.externalID)
        switch d.action {
        case "reply" where t.kind == .dm:
            guard let person = d.authorID else { return .failure(Refused("the conversation names no person to answer")) }
            var body: [String: Any] = ["recipient": ["id": person], "message": ["text": d.text], "messaging_type": "RESPONSE"]
            if DeliveryRules.needsHumanAgentTag(t, now: now) {
                body["messaging_type"] = "MESSAGE_TAG"
                body["tag"] = "HUMAN_AGENT"
            }
            return call(.POST, "/\(page.id)/messages", json: body)
        case "reply" where d.visibility == .private:
            return call(.POST, "/\(page.id)/messages", json: ["recipient": ["comment_id": t.externalID], "message": ["text": d.text]])
        case "reply":
            return call(.POST, instagram ? "/\(id)/replies" : "/\(id)/comments", form: [("message", d.text)])
        case "hide", "unhide":
            let value = d.action == "hide" ? "true" : "false"
            return call(.POST, "/\(id)", form: [(instagram ? "hide" : "is_hidden", value)])
        case "delete":
            return call(.DELETE, "/\(id)")
        default:
            return .failure(Refused("\(d.action) is not an action Rounds delivers"))
        }
    }

    /// `appsecret_proof`: Meta refuses calls without it when the app requires it, and it costs
    /// nothing when not.
    static func appSecretProof(_ meta: Connections.Meta, _ page: Connections.Meta.Page) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(page.accessToken.reveal().utf8),
                                                  using: SymmetricKey(data: Data(meta.appSecret.reveal().utf8)))
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    // MARK: - X

    private func xAuthorization(_ x: Connections.X) async throws -> (String, String) {
        let token = try await xToken?.token().reveal() ?? x.bearerToken?.reveal() ?? ""
        return ("Authorization", "Bearer " + token)
    }

    private func xCall(_ d: Delivery, x: Connections.X) async throws -> Result<PlatformCall, Refused> {
        let t = d.target
        let auth = try await xAuthorization(x)
        let json = ("Content-Type", "application/json")
        func body(_ o: [String: Any]) -> Data? { try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]) }
        switch d.action {
        case "reply" where t.kind == .dm:
            guard let person = d.authorID else { return .failure(Refused("the conversation names no person to answer")) }
            return .success(PlatformCall(method: .POST, url: "\(x.apiURL)/2/dm_conversations/with/\(PlatformHTTP.query(person))/messages",
                                         headers: [auth, json], body: body(["text": d.text])))
        case "reply":
            return .success(PlatformCall(method: .POST, url: "\(x.apiURL)/2/tweets", headers: [auth, json],
                                         body: body(["text": d.text, "reply": ["in_reply_to_tweet_id": t.externalID]])))
        case "hide", "unhide":
            return .success(PlatformCall(method: .PUT, url: "\(x.apiURL)/2/tweets/\(PlatformHTTP.query(t.externalID))/hidden",
                                         headers: [auth, json], body: body(["hidden": d.action == "hide"])))
        default:
            return .failure(Refused("X does not let an account \(d.action) another person's post"))
        }
    }

    // MARK: - Google

    private func gbpCall(_ d: Delivery, gbp: Connections.GBP, location: String) async throws -> Result<PlatformCall, Refused> {
        guard d.action == "reply" else { return .failure(Refused("Google reviews cannot be \(d.action == "delete" ? "deleted" : "hidden") by the business")) }
        guard let token = gbpToken else { return .failure(Refused("Google Business Profile has no token")) }
        let review = "\(location)/reviews/\(PlatformHTTP.query(d.target.externalID))"
        return .success(PlatformCall(method: .PUT, url: "\(gbp.apiURL)/v4/\(review)/reply",
                                     headers: [("Authorization", "Bearer " + (try await token.token()).reveal()), ("Content-Type", "application/json")],
                                     body: try? JSONSerialization.data(withJSONObject: ["comment": d.text])))
    }

    // MARK: - Looking for an earlier attempt

    /// After a crash or a lost answer: the call that shows whether the earlier attempt got
    /// through (the account's replies to the message, the conversation's newest messages, a
    /// comment's hidden state, the review's reply), where the platform offers one. Nil where it
    /// does not (a private reply to a comment: the documented window) or where repeating is
    /// harmless (delete, X's hide).
    func lookup(_ d: Delivery) async throws -> PlatformCall? {
        let t = d.target
        guard let account = account(for: d) else { return nil }
        if d.action == "hide" || d.action == "unhide" {
            guard [.facebook, .instagram].contains(t.platform), let meta = connections.meta,
                  let page = meta.pages.first(where: { $0.id == account || $0.instagramAccountID == account }) else { return nil }
            let field = t.platform == .instagram ? "hidden" : "is_hidden"
            return PlatformCall(method: .GET, url: meta.graphURL + "/\(PlatformHTTP.query(t.externalID))?fields=\(field)&appsecret_proof="
                                + Self.appSecretProof(meta, page), headers: [("Authorization", "Bearer " + page.accessToken.reveal())], body: nil)
        }
        guard d.action == "reply" else { return nil }
        switch t.platform {
        case .messenger where t.kind == .dm, .instagram where t.kind == .dm:
            // The Conversations API: the page's conversation with this person, newest messages.
            guard let meta = connections.meta, let person = d.authorID,
                  let page = meta.pages.first(where: { $0.id == account || $0.instagramAccountID == account }) else { return nil }
            let fields = PlatformHTTP.query("messages.limit(25){message,from}")
            return PlatformCall(method: .GET, url: meta.graphURL + "/\(page.id)/conversations?platform=\(t.platform == .instagram ? "instagram" : "messenger")"
                                + "&user_id=\(PlatformHTTP.query(person))&fields=\(fields)&appsecret_proof=" + Self.appSecretProof(meta, page),
                                headers: [("Authorization", "Bearer " + page.accessToken.reveal())], body: nil)
        case .facebook, .instagram:
            guard t.kind != .dm, d.visibility == .public, let meta = connections.meta,
                  let page = meta.pages.first(where: { $0.id == account || $0.instagramAccountID == account }) else { return nil }
            let id = PlatformHTTP.query(t.externalID)
            let path = t.platform == .instagram ? "/\(id)/replies?fields=id,text,from" : "/\(id)/comments?fields=id,message,from&order=reverse_chronological"
            return PlatformCall(method: .GET, url: meta.graphURL + path + "&limit=100&appsecret_proof=" + Self.appSecretProof(meta, page),
                                headers: [("Authorization", "Bearer " + page.accessToken.reveal())], body: nil)
        case .gbp:
            // The reply is an upsert, but reading the review first keeps the record honest: one PUT.
            guard let gbp = connections.gbp, let token = gbpToken else { return nil }
            return PlatformCall(method: .GET, url: "\(gbp.apiURL)/v4/\(account)/reviews/\(PlatformHTTP.query(t.externalID))",
                                headers: [("Authorization", "Bearer " + (try await token.token()).reveal())], body: nil)
        case .x:
            guard let x = connections.x else { return nil }
            let auth = try await xAuthorization(x)
            if t.kind == .dm {
                guard let person = d.authorID else { return nil }
                return PlatformCall(method: .GET, url: "\(x.apiURL)/2/dm_conversations/with/\(PlatformHTTP.query(person))/dm_events?dm_event.fields=sender_id,text&max_results=50",
                                    headers: [auth], body: nil)
            }
            return PlatformCall(method: .GET, url: "\(x.apiURL)/2/users/\(x.userID)/tweets?tweet.fields=referenced_tweets&max_results=100",
                                headers: [auth], body: nil)
        default:
            return nil
        }
    }

    /// The platform id of `d`'s earlier attempt in a lookup's answer, if it is there.
    func found(_ d: Delivery, in response: PlatformResponse) -> String? {
        let t = d.target
        if d.action == "hide" || d.action == "unhide" {
            let state = (response.json?[t.platform == .instagram ? "hidden" : "is_hidden"] as? Bool)
            return state == (d.action == "hide") ? t.externalID : nil
        }
        if t.platform == .gbp {
            let reply = (response.json?["reviewReply"] as? [String: Any])?["comment"] as? String
            return reply == d.text ? t.postID.map { "\($0)/reviews/\(t.externalID)/reply" } : nil
        }
        guard let items = response.json?["data"] as? [[String: Any]] else { return nil }
        func str(_ v: Any?) -> String? { v.map { "\($0)" } }
        // A Page and its Instagram account are one owner: a message from either is ours.
        let meta = Set([d.account].compactMap { $0 } + accounts.filter { ["facebook", "instagram"].contains($0.platform) }.map(\.account))
        switch t.platform {
        case .messenger where t.kind == .dm, .instagram where t.kind == .dm:
            let messages = items.flatMap { ((($0["messages"] as? [String: Any])?["data"]) as? [[String: Any]]) ?? [] }
            return messages.first { m in
                str(m["message"]) == d.text && str((m["from"] as? [String: Any])?["id"]).map(meta.contains) == true
            }.flatMap { str($0["id"]) }
        case .facebook, .instagram:
            return items.first { item in
                let text = str(item["message"] ?? item["text"])
                let from = str((item["from"] as? [String: Any])?["id"])
                return text == d.text && (from == nil || meta.contains(from!))
            }.flatMap { str($0["id"]) }
        case .x where t.kind == .dm:
            guard let me = connections.x?.userID else { return nil }
            return items.first { str($0["sender_id"]) == me && str($0["text"]) == d.text }.flatMap { str($0["id"]) }
        case .x:
            // One reply per message: any post of ours replying to this one is that reply (X
            // rewrites links, so the text may differ).
            return items.first { item in
                ((item["referenced_tweets"] as? [[String: Any]]) ?? []).contains { str($0["type"]) == "replied_to" && str($0["id"]) == t.externalID }
            }.flatMap { str($0["id"]) }
        default:
            return nil
        }
    }
}

/// Why an action can never reach the platform.
struct Refused: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
