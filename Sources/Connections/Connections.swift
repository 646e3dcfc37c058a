import Foundation

/// A credential from the connections file. It prints as `‹secret›` wherever it is
/// interpolated (a log line, an error, a debug dump); only `reveal` gives the value, and only
/// the code that sends it to the platform calls it.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    private let value: String
    public init(_ value: String) { self.value = value }
    public func reveal() -> String { value }
    public var description: String { "‹secret›" }
    public var debugDescription: String { "‹secret›" }
}

/// What `rounds serve` connects to: the parsed connections file (docs/operations.md).
public struct Connections: Sendable {
    public struct Meta: Sendable {
        public struct Page: Sendable {
            public var id: String
            public var accessToken: Secret
            public var instagramAccountID: String?
            /// Meta approved the Page's app for the `HUMAN_AGENT` tag: replies up to 7 days.
            public var humanAgent: Bool = false
        }
        public var appSecret: Secret
        public var verifyToken: Secret
        public var graphURL: String
        public var pages: [Page]
    }

    public struct X: Sendable {
        public struct OAuth2: Sendable {
            public var clientID: String
            public var clientSecret: Secret?
            public var refreshToken: Secret
            public var tokenURL: String
        }
        public var userID: String
        /// An app bearer token, or a user's OAuth 2 access token (direct messages need one).
        public var bearerToken: Secret?
        public var oauth2: OAuth2?
        public var apiURL: String
        public var pollSeconds: Int
        public var pollMentions: Bool
        public var pollDirectMessages: Bool
        /// The app's consumer secret, for the optional V2 webhook (CRC and signatures).
        public var webhookSecret: Secret?
    }

    public struct GBP: Sendable {
        public var locations: [String]
        public var clientID: String
        public var clientSecret: Secret
        public var refreshToken: Secret
        public var apiURL: String
        public var tokenURL: String
        public var pollSeconds: Int
        /// Pub/Sub push subscriptions carry it in the endpoint URL (`?token=`).
        public var pushToken: Secret?
    }

    public var meta: Meta?
    public var x: X?
    public var gbp: GBP?
    /// Who `rounds serve` pages about emergencies nobody has taken (`PagingTargets.swift`).
    public var paging: [PagingTarget] = []
    /// Where the file was read from (for messages).
    public var path: String

    public static let defaultGraphURL = "https://graph.facebook.com/v25.0"
    public static let defaultXURL = "https://api.x.com"
    public static let defaultXTokenURL = "https://api.x.com/2/oauth2/token"
    public static let defaultGBPURL = "https://mybusiness.googleapis.com"
    public static let defaultGoogleTokenURL = "https://oauth2.googleapis.com/token"

    /// One line per configured platform, without a single secret: what `rounds connections
    /// check` prints.
    public var summary: [String] {
        var lines: [String] = []
        if let m = meta {
            let pages = m.pages.map { p in
                p.id + (p.instagramAccountID.map { " (Instagram \($0))" } ?? "") + (p.humanAgent ? " human-agent 7-day replies" : "")
            }
            lines.append("Meta: webhook /webhooks/meta, Graph API \(m.graphURL), \(m.pages.count) page(s): \(pages.joined(separator: ", "))")
        }
        if let x = self.x {
            var streams: [String] = []
            if x.pollMentions { streams.append("mentions") }
            if x.pollDirectMessages { streams.append("direct messages") }
            let auth = x.oauth2 != nil ? "OAuth 2 user token (refreshed)" : "bearer token"
            lines.append("X: user \(x.userID), polls \(streams.joined(separator: " and ")) every \(x.pollSeconds) s at \(x.apiURL), \(auth)"
                         + (x.webhookSecret != nil ? ", webhook /webhooks/x" : ""))
        }
        if let g = gbp {
            lines.append("Google Business Profile: \(g.locations.count) location(s): \(g.locations.joined(separator: ", ")), polls every \(g.pollSeconds) s at \(g.apiURL)"
                         + (g.pushToken != nil ? ", Pub/Sub push /webhooks/gbp" : ", no push (polling only)"))
        }
        if !paging.isEmpty {
            lines.append("Paging: \(paging.count) target(s): " + paging.map { "\($0.name) (\($0.kind.rawValue), \($0.shownEndpoint))" }.joined(separator: ", "))
        }
        return lines
    }

    /// Every secret value, for tests and for scrubbing: none may appear in any output.
    public var allSecrets: [Secret] {
        var s: [Secret] = []
        if let m = meta { s += [m.appSecret, m.verifyToken] + m.pages.map(\.accessToken) }
        if let x = self.x {
            s += [x.bearerToken, x.webhookSecret, x.oauth2?.clientSecret, x.oauth2?.refreshToken].compactMap { $0 }
        }
        if let g = gbp { s += [g.clientSecret, g.refreshToken] + [g.pushToken].compactMap { $0 } }
        s += paging.flatMap { [$0.webhookURL, $0.routingKey].compactMap { $0 } }
        return s
    }
}
