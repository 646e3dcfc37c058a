import Foundation
import SafeFiles
import Yams

/// What is wrong with a connections file: where, and what to do. Never quotes a secret.
public struct ConnectionsError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int
    public var message: String
    public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }
}

extension Connections {
    /// Reads and checks the connections file at `path`: a regular file owned by this user,
    /// not writable by anyone else, readable by no one but this user and (at most) this
    /// process's own group, the service's.
    public static func load(path: String) throws -> Connections {
        let text = try readPrivately(path)
        return try parse(text, path: path)
    }

    static func readPrivately(_ path: String) throws -> String {
        func fail(_ m: String) -> ConnectionsError { ConnectionsError(file: path, line: 0, message: m) }
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            if errno == ELOOP { throw fail("is a symbolic link; name the file itself") }
            throw fail("cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { throw fail("is not a regular file") }
        guard st.st_uid == geteuid() else {
            throw fail("is owned by user \(st.st_uid), not by the user the service runs as (\(geteuid())); chown it to the service's user")
        }
        let mode = st.st_mode & 0o777
        if mode & 0o007 != 0 {
            throw fail(String(format: "holds secrets but is open to every user (mode %03o); run: chmod 600 %@", mode, path))
        }
        if mode & 0o070 != 0 && (mode & 0o030 != 0 || st.st_gid != getegid()) {
            throw fail(String(format: "holds secrets but its group (%d) may %@ it (mode %03o); only the service's own group may read it: chmod 600 %@",
                              st.st_gid, mode & 0o020 != 0 ? "write" : "read", mode, path))
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
        guard let data = try? handle.readToEnd() ?? Data(), let text = String(data: data, encoding: .utf8) else {
            throw fail("cannot read it as UTF-8 text")
        }
        return text
    }

    /// Parses the YAML text of a connections file (`path` names it in errors).
    public static func parse(_ text: String, path: String) throws -> Connections {
        let root: Node
        do {
            guard let n = try Yams.compose(yaml: text) else { throw ConnectionsError(file: path, line: 1, message: "the file is empty; see docs/operations.md for its shape") }
            root = n
        } catch let e as ConnectionsError { throw e } catch let e as YamlError {
            throw ConnectionsError(file: path, line: Self.line(of: e), message: "not valid YAML (a quote or an indent?)")
        }
        let top = try Fields(root, path: path, allowed: ["meta", "x", "gbp", "paging"])
        var c = Connections(meta: nil, x: nil, gbp: nil, path: path)
        if let m = try top.mapping("meta", allowed: ["app_secret", "verify_token", "graph_url", "pages"]) {
            let pages = try m.list("pages", allowed: ["id", "access_token", "instagram_account_id", "human_agent"]).map { p in
                Meta.Page(id: try p.id("id"), accessToken: try p.secret("access_token"),
                          instagramAccountID: try p.optionalID("instagram_account_id"),
                          humanAgent: try p.flag("human_agent", default: false))
            }
            if pages.isEmpty { throw m.error("pages", "list at least one page: - id: ..., access_token: ...") }
            c.meta = Meta(appSecret: try m.secret("app_secret"), verifyToken: try m.secret("verify_token"),
                          graphURL: try m.url("graph_url", default: defaultGraphURL), pages: pages)
        }
        if let x = try top.mapping("x", allowed: ["user_id", "bearer_token", "oauth2", "api_url", "poll_seconds", "mentions",
                                                  "direct_messages", "webhook_consumer_secret"]) {
            var oauth: X.OAuth2?
            if let o = try x.mapping("oauth2", allowed: ["client_id", "client_secret", "refresh_token", "token_url"]) {
                oauth = X.OAuth2(clientID: try o.text("client_id"), clientSecret: try o.optionalSecret("client_secret"),
                                 refreshToken: try o.secret("refresh_token"), tokenURL: try o.url("token_url", default: defaultXTokenURL))
            }
            let bearer = try x.optionalSecret("bearer_token")
            if bearer == nil && oauth == nil { throw x.error(nil, "x needs bearer_token or oauth2 (client_id, refresh_token)") }
            c.x = X(userID: try x.id("user_id"), bearerToken: bearer, oauth2: oauth,
                    apiURL: try x.url("api_url", default: defaultXURL), pollSeconds: try x.seconds("poll_seconds", default: 60),
                    pollMentions: try x.flag("mentions", default: true), pollDirectMessages: try x.flag("direct_messages", default: true),
                    webhookSecret: try x.optionalSecret("webhook_consumer_secret"))
        }
        if let g = try top.mapping("gbp", allowed: ["locations", "client_id", "client_secret", "refresh_token", "api_url", "token_url",
                                                    "poll_seconds", "push_token"]) {
            let locations = try g.texts("locations")
            for l in locations where !Self.isLocationName(l) {
                throw g.error("locations", "'\(l.prefix(80))' is not accounts/{account}/locations/{location}")
            }
            if locations.isEmpty { throw g.error("locations", "list at least one accounts/{account}/locations/{location}") }
            c.gbp = GBP(locations: locations, clientID: try g.text("client_id"), clientSecret: try g.secret("client_secret"),
                        refreshToken: try g.secret("refresh_token"), apiURL: try g.url("api_url", default: defaultGBPURL),
                        tokenURL: try g.url("token_url", default: defaultGoogleTokenURL),
                        pollSeconds: try g.seconds("poll_seconds", default: 300), pushToken: try g.optionalSecret("push_token"))
        }
        c.paging = try pagingTargets(top)
        if c.meta == nil && c.x == nil && c.gbp == nil {
            throw ConnectionsError(file: path, line: 1, message: "configures no platform: add meta, x or gbp (docs/operations.md)")
        }
        return c
    }

    static func isLocationName(_ s: String) -> Bool {
        let p = s.split(separator: "/", omittingEmptySubsequences: false)
        return p.count == 4 && p[0] == "accounts" && p[2] == "locations" && !p[1].isEmpty && !p[3].isEmpty
            && p.allSatisfy { $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" } }
    }

    static func line(of e: YamlError) -> Int {
        switch e {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return 1
        }
    }
}

/// One YAML mapping of the file, read field by field with the line of each problem.
struct Fields {
    let node: Node
    let path: String
    let prefix: String

    init(_ node: Node, path: String, allowed: Set<String>, prefix: String = "") throws {
        self.node = node
        self.path = path
        self.prefix = prefix
        guard let m = node.mapping else {
            throw ConnectionsError(file: path, line: node.mark?.line ?? 1, message: "\(prefix.isEmpty ? "the file" : prefix) should be a mapping of key: value")
        }
        for (k, _) in m {
            guard let key = k.string, allowed.contains(key) else {
                throw ConnectionsError(file: path, line: k.mark?.line ?? 1,
                                       message: "unknown key '\(prefix)\((k.string ?? "?").prefix(40))'; expected one of: \(allowed.sorted().joined(separator: ", "))")
            }
        }
    }

    func error(_ key: String?, _ message: String) -> ConnectionsError {
        let line = key.flatMap { node.mapping?[$0]?.mark?.line } ?? node.mark?.line ?? 1
        return ConnectionsError(file: path, line: line, message: key.map { "\(prefix)\($0): \(message)" } ?? message)
    }

    private func value(_ key: String) -> Node? { node.mapping?[key] }

    func has(_ key: String) -> Bool { value(key) != nil }

    func mapping(_ key: String, allowed: Set<String>) throws -> Fields? {
        guard let v = value(key) else { return nil }
        return try Fields(v, path: path, allowed: allowed, prefix: prefix + key + ".")
    }

    func list(_ key: String, allowed: Set<String>) throws -> [Fields] {
        guard let v = value(key) else { throw error(nil, "\(prefix)\(key) is missing") }
        guard let seq = v.sequence else { throw error(key, "should be a list") }
        return try seq.map { try Fields($0, path: path, allowed: allowed, prefix: prefix + key + "[].") }
    }

    func optionalText(_ key: String) throws -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v.scalar?.string, !s.isEmpty else { throw error(key, "should be a single non-empty value") }
        return s
    }

    func text(_ key: String) throws -> String {
        guard let s = try optionalText(key) else { throw error(nil, "\(prefix)\(key) is missing") }
        return s
    }

    func texts(_ key: String) throws -> [String] {
        guard let v = value(key) else { throw error(nil, "\(prefix)\(key) is missing") }
        guard let seq = v.sequence else { throw error(key, "should be a list") }
        return try seq.map {
            guard let s = $0.scalar?.string else { throw error(key, "should be a list of single values") }
            return s
        }
    }

    /// A platform id: digits and letters only (it becomes part of URLs).
    func optionalID(_ key: String) throws -> String? {
        guard let s = try optionalText(key) else { return nil }
        guard s.count <= 64, s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
            throw error(key, "'\(s.prefix(40))' is not an id (letters and digits only)")
        }
        return s
    }

    func id(_ key: String) throws -> String {
        guard let s = try optionalID(key) else { throw error(nil, "\(prefix)\(key) is missing") }
        return s
    }

    /// Never quoted back: the value is the secret.
    func optionalSecret(_ key: String) throws -> Secret? {
        guard let v = value(key) else { return nil }
        guard let s = v.scalar?.string, !s.isEmpty else { throw error(key, "should be a single non-empty value (not shown)") }
        guard s.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0.asciiValue! >= 0x21 }) else {
            throw error(key, "holds spaces or characters a token never has (value not shown); copy it again")
        }
        return Secret(s)
    }

    func secret(_ key: String) throws -> Secret {
        guard let s = try optionalSecret(key) else { throw error(nil, "\(prefix)\(key) is missing") }
        return s
    }

    func url(_ key: String, default d: String) throws -> String {
        guard let s = try optionalText(key) else { return d }
        guard let u = URL(string: s), let scheme = u.scheme, ["https", "http"].contains(scheme), u.host != nil, u.query == nil else {
            throw error(key, "'\(s.prefix(80))' is not an http(s) URL without a query")
        }
        return s.hasSuffix("/") ? String(s.dropLast()) : s
    }

    /// A URL that is itself the credential (a Slack, Teams or webhook URL): checked like
    /// `url`, never quoted back.
    func secretURL(_ key: String) throws -> Secret {
        let s = try secret(key)
        guard let u = URL(string: s.reveal()), let scheme = u.scheme, ["https", "http"].contains(scheme), u.host != nil else {
            throw error(key, "is not an http(s) URL (value not shown)")
        }
        return s
    }

    func seconds(_ key: String, default d: Int) throws -> Int {
        guard let s = try optionalText(key) else { return d }
        guard let n = Int(s), (1...86_400).contains(n) else { throw error(key, "should be a number of seconds from 1 to 86400") }
        return n
    }

    func flag(_ key: String, default d: Bool) throws -> Bool {
        guard let v = value(key) else { return d }
        guard let b = v.bool else { throw error(key, "should be true or false") }
        return b
    }
}
