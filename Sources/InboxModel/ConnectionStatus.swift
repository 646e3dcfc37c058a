/// How one platform connection of `rounds serve` is doing, as the server last recorded it in
/// the inbox: what the console's status line and `/readyz` show.
public struct ConnectionStatus: Sendable, Equatable {
    public enum State: String, Sendable {
        /// The last call succeeded.
        case ok
        /// The last call failed; the server retries with backoff.
        case error
        /// The platform asked us to wait (`until`).
        case rateLimited = "rate_limited"
        /// The platform refused the credentials: a person must reconnect it.
        case reconnect
    }

    /// `Meta`, `X` or `GBP`.
    public var name: String
    public var state: State
    /// Why, in a few words ("token refresh failing: HTTP 503"); never a secret.
    public var detail: String
    /// Milliseconds since 1970: rate limited or backing off until then.
    public var until: Int64?
    public var lastSuccessAt: Int64?
    public var lastErrorAt: Int64?
    public var updatedAt: Int64

    public init(name: String, state: State, detail: String = "", until: Int64? = nil,
                lastSuccessAt: Int64? = nil, lastErrorAt: Int64? = nil, updatedAt: Int64) {
        self.name = name
        self.state = state
        self.detail = detail
        self.until = until
        self.lastSuccessAt = lastSuccessAt
        self.lastErrorAt = lastErrorAt
        self.updatedAt = updatedAt
    }
}
