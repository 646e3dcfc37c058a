import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import XCTest

/// The built executables, beside the test bundle.
enum Binaries {
    static var folder: URL {
        var dir = Bundle.main.bundleURL
        if dir.pathExtension == "xctest" { dir.deleteLastPathComponent() }
        for candidate in [dir, Bundle(for: Marker.self).bundleURL.deletingLastPathComponent()] {
            if FileManager.default.isExecutableFile(atPath: candidate.appendingPathComponent("rounds-serve").path) { return candidate }
        }
        return dir
    }
    static var server: String { folder.appendingPathComponent("rounds-serve").path }
    static var rounds: String { folder.appendingPathComponent("rounds").path }
    private final class Marker {}
}

let serveTestsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
let fixtures = serveTestsFolder.deletingLastPathComponent().appendingPathComponent("Fixtures/platforms")
let packageRoot = serveTestsFolder.deletingLastPathComponent().deletingLastPathComponent()

/// A temporary folder, removed afterwards.
final class Scratch {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("rounds-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    @discardableResult
    func write(_ name: String, _ text: String, mode: Int = 0o600) throws -> String {
        let p = path(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: p))
        chmod(p, mode_t(mode))
        return p
    }
    /// `ROUNDS_KEEP_TEST_FILES=1` keeps the folder (server log, fake's requests) to look into.
    deinit {
        if ProcessInfo.processInfo.environment["ROUNDS_KEEP_TEST_FILES"] == "1" { return }
        try? FileManager.default.removeItem(at: url)
    }
}

/// The test secrets: every output is searched for them.
enum TestSecrets {
    static let appSecret = "meta-app-secret-TEST-4f1c9a"
    static let verifyToken = "verify-token-TEST-77b2"
    static let pageToken = "EAAG-page-token-TEST-91d0e3"
    static let xBearer = "x-bearer-TEST-AAAAAAAAAAAA5c"
    static let gbpClientSecret = "gbp-client-secret-TEST-0e1d"
    static let gbpRefresh = "gbp-refresh-TEST-1//0abcd"
    static let gbpAccess = "ya29.gbp-access-TEST-77"
    static let pushToken = "push-token-TEST-c3a1"
    static let xConsumerSecret = "x-consumer-secret-TEST-9f8e"
    static var all: [String] { [appSecret, verifyToken, pageToken, xBearer, gbpClientSecret, gbpRefresh, gbpAccess, pushToken, xConsumerSecret] }

    /// Without `graphURL`, Meta's Graph API is a closed port on loopback: never the internet.
    static func connections(meta: Bool = true, graphURL: String = "http://127.0.0.1:9", xURL: String? = nil, gbpURL: String? = nil,
                            pollSeconds: Int = 1, xWebhook: Bool = false) -> String {
        var y = ""
        if meta {
            y += """
                meta:
                  app_secret: \(appSecret)
                  verify_token: \(verifyToken)
                  graph_url: \(graphURL)
                  pages:
                    - id: "1234567890"
                      access_token: \(pageToken)
                      instagram_account_id: "17841400000000000"

                """
        }
        if let xURL {
            var lines = ["x:", "  user_id: \"42\"", "  bearer_token: \(xBearer)", "  api_url: \(xURL)", "  poll_seconds: \(pollSeconds)"]
            if xWebhook { lines += ["  webhook_consumer_secret: \(xConsumerSecret)", "  mentions: false", "  direct_messages: false"] }
            y += lines.joined(separator: "\n") + "\n"
        }
        if let gbpURL {
            y += """
                gbp:
                  locations: [accounts/111/locations/222]
                  client_id: rounds-test.apps.googleusercontent.com
                  client_secret: \(gbpClientSecret)
                  refresh_token: \(gbpRefresh)
                  api_url: \(gbpURL)
                  token_url: \(gbpURL)/token
                  poll_seconds: \(pollSeconds)
                  push_token: \(pushToken)

                """
        }
        return y
    }
}

/// Meta's signature of `body` with the test app secret.
func metaSignature(_ body: Data, secret: String = TestSecrets.appSecret) -> String {
    let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
    return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
}

/// A running `rounds serve`, its standard error kept in a file.
final class RunningServer {
    let process = Process()
    let logPath: String
    private(set) var port = 0

    init(db: String, connections: String, scratch: Scratch, logName: String = "serve.log", extra: [String] = []) throws {
        logPath = scratch.path(logName)
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: Binaries.server)
        process.arguments = ["serve", "--db", db, "--connections", connections, "--listen", "127.0.0.1:0"] + extra
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "ROUNDS_DB")
        env["ROUNDS_POLICIES"] = nil
        process.environment = env
        process.currentDirectoryURL = packageRoot
        process.standardError = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let line = log.split(separator: "\n").first(where: { $0.contains("\"msg\":\"listening\"") }),
               let r = line.range(of: "\"port\":\"") {
                port = Int(line[r.upperBound...].prefix { $0.isNumber }) ?? 0
                return
            }
            if !process.isRunning { break }
            usleep(20_000)
        }
        throw XCTSkip("rounds serve did not start: \(log)")
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
    var base: String { "http://127.0.0.1:\(port)" }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, then the exit status.
    func terminate() -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit { if process.isRunning { kill9() } }
}

/// The fake X and Google server (fake_platform.py) on loopback.
final class FakePlatform {
    let process = Process()
    let scenarioPath: String
    let requestLog: String
    let port: Int

    init(scenario: [String: Any], scratch: Scratch) throws {
        scenarioPath = scratch.path("scenario.json")
        requestLog = scratch.path("requests.jsonl")
        FileManager.default.createFile(atPath: requestLog, contents: nil)
        try JSONSerialization.data(withJSONObject: scenario).write(to: URL(fileURLWithPath: scenarioPath))
        port = try startFake(process, script: "fake_platform.py", arguments: [scenarioPath, requestLog])
    }

    var base: String { "http://127.0.0.1:\(port)" }

    /// Replaces the scenario (the fake reads it on every request).
    func update(_ scenario: [String: Any]) throws {
        let tmp = scenarioPath + ".new"
        try JSONSerialization.data(withJSONObject: scenario).write(to: URL(fileURLWithPath: tmp))
        rename(tmp, scenarioPath)
    }

    private var logLines: [[String: Any]] {
        ((try? String(contentsOfFile: requestLog, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// Every request received, in order.
    var requests: [[String: Any]] { logLines.filter { $0["method"] != nil } }

    /// What the fake platform did (a reply made, a comment hidden), in order; `dup` when the
    /// same effect had already happened.
    var effects: [(kind: String, target: String, dup: Bool)] {
        logLines.compactMap { l in
            (l["effect"] as? String).map { ($0, l["target"] as? String ?? "", l["dup"] as? Bool ?? false) }
        }
    }

    /// The status of every reply sent, in order (scripted failures included).
    var replies: [(status: Int, path: String)] {
        logLines.compactMap { l in (l["reply"] as? Int).map { ($0, l["path"] as? String ?? "") } }
    }

    /// Requests the platform answered before the reset it had announced with
    /// `x-rate-limit-remaining: 0` on the same path: calls a client honouring the window never makes.
    var callsBeforeAnnouncedReset: [(status: Int, path: String, at: Double, reset: Double)] {
        var resetAt: [String: Double] = [:]
        var early: [(status: Int, path: String, at: Double, reset: Double)] = []
        for l in logLines {
            guard let status = l["reply"] as? Int, let path = l["path"] as? String, let t = l["t"] as? Double else { continue }
            if let r = resetAt[path], t < r { early.append((status, path, t, r)) }
            if l["remaining"] as? Int == 0, let r = l["reset"] as? Double { resetAt[path] = r }
        }
        return early
    }

    deinit {
        // SIGKILL: a child started from a test's async context inherits a mask that blocks SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

/// Starts one of the fake servers (a Python script in this folder) in `process`; the port it
/// printed on its first line.
func startFake(_ process: Process, script: String, arguments: [String]) throws -> Int {
    guard let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first(where: FileManager.default.isExecutableFile) else {
        throw XCTSkip("python3 is not installed")
    }
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [serveTestsFolder.appendingPathComponent(script).path] + arguments
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    var line = Data()
    while !line.contains(10) {
        let chunk = out.fileHandleForReading.availableData
        if chunk.isEmpty { break }
        line.append(chunk)
    }
    return Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
}

/// A small HTTP client for the tests.
enum HTTP {
    struct Answer {
        var status: Int
        var body: String
    }

    static func send(_ method: HTTPMethod, _ url: String, body: Data? = nil, headers: [(String, String)] = [],
                     timeout: Int64 = 30) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(timeout))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return Answer(status: Int(response.status.code), body: String(buffer: bytes))
    }

    static func get(_ url: String) async throws -> Answer { try await send(.GET, url) }

    static func postMeta(_ base: String, _ body: Data, signature: String? = nil, timeout: Int64 = 30) async throws -> Answer {
        try await send(.POST, base + "/webhooks/meta", body: body,
                       headers: [("Content-Type", "application/json"), ("X-Hub-Signature-256", signature ?? metaSignature(body))],
                       timeout: timeout)
    }
}

/// The rows of a query, from the sqlite3 CLI (an independent reader).
func sqlite(_ db: String, _ sql: String) throws -> [String] {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    p.arguments = ["-cmd", ".timeout 5000", db, sql]
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
}

func sqliteInt(_ db: String, _ sql: String) throws -> Int { Int(try sqlite(db, sql).first ?? "") ?? -1 }

/// Waits up to `seconds` for `condition`.
func eventually(_ seconds: Double = 20, _ what: String, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return }
        usleep(50_000)
    }
    XCTFail("timed out after \(seconds) s waiting for: \(what)")
}

/// Runs the `rounds` CLI; its exit status and output.
@discardableResult
func rounds(_ args: [String], env: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: Binaries.rounds)
    p.arguments = args
    var environment = ProcessInfo.processInfo.environment
    environment.removeValue(forKey: "ROUNDS_DB")
    for (k, v) in env { environment[k] = v }
    p.environment = environment
    p.currentDirectoryURL = packageRoot
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}
