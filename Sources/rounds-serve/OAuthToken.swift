import Connections
import Foundation
import SafeFiles

/// An OAuth 2 access token obtained from a refresh token, refreshed a minute before it
/// expires. One refresh at a time (an actor): X's refresh tokens are single use and rotate,
/// so two refreshes at once would lose the connection. A rotated refresh token is kept in
/// `rotationFile` (owner-only) before the new access token is used.
actor OAuthToken {
    enum Failure: Error, CustomStringConvertible {
        /// The network, a timeout, a 5xx or 429: retried, never taken as a dead connection.
        case transient(String)
        /// The platform refused the refresh token (`invalid_grant`, 400/401): a person must reconnect.
        case revoked(String)

        var description: String {
            switch self {
            case .transient(let s): return "token refresh failing: \(s)"
            case .revoked(let s): return "needs reconnecting: \(s)"
            }
        }
    }

    private let http: PlatformHTTP
    private let metrics: ServerMetrics
    private let platform: String
    private let tokenURL: String
    private let clientID: String
    private let clientSecret: Secret?
    private var refreshToken: Secret
    private let rotationFile: String?
    private var access: (token: Secret, expires: Date)?

    /// X's user token, when the connection has OAuth 2 (else its bearer token is used as is).
    static func x(_ x: Connections.X, http: PlatformHTTP, metrics: ServerMetrics, rotationFile: String?) -> OAuthToken? {
        x.oauth2.map {
            OAuthToken(http: http, metrics: metrics, platform: "x", tokenURL: $0.tokenURL, clientID: $0.clientID,
                       clientSecret: $0.clientSecret, refreshToken: $0.refreshToken, rotationFile: rotationFile)
        }
    }

    static func gbp(_ g: Connections.GBP, http: PlatformHTTP, metrics: ServerMetrics) -> OAuthToken {
        OAuthToken(http: http, metrics: metrics, platform: "gbp", tokenURL: g.tokenURL, clientID: g.clientID,
                   clientSecret: g.clientSecret, refreshToken: g.refreshToken, rotationFile: nil)
    }

    init(http: PlatformHTTP, metrics: ServerMetrics, platform: String, tokenURL: String, clientID: String, clientSecret: Secret?,
         refreshToken: Secret, rotationFile: String?) {
        self.http = http
        self.metrics = metrics
        self.platform = platform
        self.tokenURL = tokenURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.rotationFile = rotationFile
        if let file = rotationFile, let saved = try? String(contentsOfFile: file, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines), !saved.isEmpty {
            self.refreshToken = Secret(saved)
        } else {
            self.refreshToken = refreshToken
        }
    }

    /// A valid access token, refreshing it first when it expires within a minute.
    func token() async throws -> Secret {
        if let a = access, a.expires.timeIntervalSinceNow > 60 { return a.token }
        do {
            let token = try await refresh()
            metrics.tokenRefresh(platform, result: "ok")
            return token
        } catch let e as Failure {
            if case .revoked = e { metrics.tokenRefresh(platform, result: "revoked") } else { metrics.tokenRefresh(platform, result: "failed") }
            throw e
        }
    }

    /// Drops the access token (the platform answered 401 with it).
    func invalidate() { access = nil }

    private func refresh() async throws -> Secret {
        var fields = [("grant_type", "refresh_token"), ("refresh_token", refreshToken.reveal()), ("client_id", clientID)]
        if let s = clientSecret { fields.append(("client_secret", s.reveal())) }
        let response: PlatformResponse
        do {
            response = try await http.send(.POST, tokenURL, headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                           body: PlatformHTTP.form(fields))
        } catch let e as TransientFailure {
            throw Failure.transient(e.description)
        }
        let json = response.json
        switch response.status {
        case 200:
            guard let token = json?["access_token"] as? String, !token.isEmpty else {
                throw Failure.transient("the token endpoint answered 200 without an access_token")
            }
            if let rotated = json?["refresh_token"] as? String, !rotated.isEmpty, rotated != refreshToken.reveal() {
                if let file = rotationFile {
                    // Kept before use: a crash right after must not leave only the spent token.
                    do {
                        let out = try PendingFile(file, mode: 0o600)
                        try out.write(rotated + "\n")
                        try out.commit()
                    } catch {
                        throw Failure.transient("cannot keep the rotated refresh token in \(file): \(error)")
                    }
                }
                refreshToken = Secret(rotated)
            }
            let seconds = (json?["expires_in"] as? NSNumber)?.doubleValue ?? 3600
            let secret = Secret(token)
            access = (secret, Date().addingTimeInterval(seconds))
            return secret
        case 400, 401:
            let code = (json?["error"] as? String) ?? "HTTP \(response.status)"
            if code == "invalid_grant" || code == "invalid_client" || code == "unauthorized_client" || response.status == 401 {
                throw Failure.revoked(String(code.prefix(60)))
            }
            throw Failure.transient(String(code.prefix(60)))
        default:
            throw Failure.transient("HTTP \(response.status)")
        }
    }
}
