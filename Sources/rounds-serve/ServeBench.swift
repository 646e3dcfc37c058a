import ArgumentParser
import AsyncHTTPClient
import Bench
import Console
import ConsoleAdapters
import Crypto
import Foundation
import Ingest
import IngestPipeline
import NIOCore
import NIOHTTP1
import Policy
import SafeFiles
import Store

/// `rounds bench serve`: a real `rounds serve` on loopback, fed signed single-comment Meta
/// webhooks at a fixed rate (open loop: requests leave on schedule whether or not earlier ones
/// were answered) while a console refreshes and moderators work the same inbox.
struct ServeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Webhook POSTs on loopback: requests/s, time to the 200, and from the 200 to the console.",
        usage: "rounds bench serve [--rate <n>] [--seconds <n>] [--runs <n>] [--messages <n>] [--moderators <n>]",
        discussion: "Each run uses a new inbox in a private temporary folder, removed afterwards. Figures: docs/performance.md."
    )

    @Option(help: "Requests per second to send.") var rate: Int = 500
    @Option(help: "Seconds each run sends for.") var seconds: Int = 20
    @Option(help: "Runs (medians are reported).") var runs: Int = 3
    @Option(help: "Messages in the inbox before each run.") var messages: Int = 20_000
    @Option(help: "Simulated moderators working during each run.") var moderators: Int = 2

    func validate() throws {
        guard rate > 0, seconds > 0, runs > 0, messages >= 0, moderators >= 0 else { throw ValidationError("every figure must be positive") }
    }

    func run() async throws {
        var results: [ServeRun.Result] = []
        for i in 1...runs {
            let r = try await ServeRun(rate: rate, seconds: seconds, messages: messages, moderators: moderators).run()
            print(String(format: "run %d: %d sent, %d acknowledged (%.0f/s), to the 200 p50 %.1f ms p99 %.1f ms; 200 to the console's inbox p50 %.1f ms p99 %.1f ms; stored %d = acknowledged %d: %@",
                         i, r.sent, r.acked, r.ackedPerSecond, r.ackP50, r.ackP99, r.visibleP50, r.visibleP99, r.stored, r.acked,
                         r.exact ? "yes" : "NO"))
            results.append(r)
        }
        let m = { (f: (ServeRun.Result) -> Double) in median(results.map(f)) }
        print(String(format: "serve: median of %d runs at %d/s offered: %.0f acknowledged/s, to the 200 p50 %.1f ms p99 %.1f ms (target p99 <= 50 ms), 200 to the console's inbox p50 %.1f ms p99 %.1f ms; the console shows it at its next poll (1 s)",
                     runs, rate, m { $0.ackedPerSecond }, m { $0.ackP50 }, m { $0.ackP99 }, m { $0.visibleP50 }, m { $0.visibleP99 }))
        if results.contains(where: { !$0.exact }) { throw ExitCode(1) }
    }
}

func percentile(_ xs: [Double], _ p: Double) -> Double {
    let s = xs.sorted()
    guard !s.isEmpty else { return 0 }
    return s[min(s.count - 1, Int(Double(s.count) * p))]
}

/// One run of the benchmark, in its own folder.
struct ServeRun {
    struct Result {
        var sent = 0, acked = 0, stored = 0
        var ackedPerSecond = 0.0, ackP50 = 0.0, ackP99 = 0.0, visibleP50 = 0.0, visibleP99 = 0.0
        var exact = false
    }

    let rate: Int, seconds: Int, messages: Int, moderators: Int
    static let secret = "bench-app-secret"

    func run() async throws -> Result {
        let dir = try SafeFiles.makePrivateDirectory(prefix: "rounds-bench-serve")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = dir + "/inbox.sqlite", conn = dir + "/connections.yml", log = dir + "/serve.log"
        let file = try PendingFile(conn, mode: 0o600)
        try file.write("meta:\n  app_secret: \(Self.secret)\n  verify_token: bench-verify\n  pages:\n    - id: \"1234567890\"\n      access_token: bench-page-token\n")
        try file.commit()
        let inbox = try InboxDatabase(path: db)
        try prefill(inbox, dir: dir)

        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: me)
        server.arguments = ["serve", "--db", db, "--connections", conn, "--listen", "127.0.0.1:0"]
        server.standardError = FileHandle(forWritingAtPath: log)
        server.standardOutput = FileHandle.nullDevice
        try server.run()
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        let port = try waitForPort(log)

        // Moderators (the `rounds` beside this binary) and a console refreshing once a second.
        let roundsBinary = URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("rounds").path
        var workers: [Process] = []
        if FileManager.default.isExecutableFile(atPath: roundsBinary) {
            for m in 0..<moderators {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: roundsBinary)
                p.arguments = ["bench", "shift", "--db", db, "--as", "bench-mod-\(m)", "--actions", "1000000", "--queue", "new"]
                p.standardOutput = FileHandle.nullDevice
                p.standardError = FileHandle.nullDevice
                try p.run()
                workers.append(p)
            }
        }
        defer { for p in workers where p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        let console = ConsoleLoad(inbox: inbox)
        console.start()
        defer { console.stop() }

        let watcher = VisibilityWatcher(inbox: inbox)
        watcher.start()
        let load = try await sendLoad(port: port, watcher: watcher)
        watcher.stop()

        // Everything acknowledged is ingested, and nothing else.
        let deadline = Date().addingTimeInterval(60)
        while try inbox.spoolDepth().count > 0 && Date() < deadline { try await Task.sleep(nanoseconds: 50_000_000) }
        kill(server.processIdentifier, SIGTERM)
        server.waitUntilExit()
        let stored = try inbox.countMessages(externalIDPrefix: "bench")
        let missing = try load.ackedIDs.filter { try !inbox.hasMessage(platform: "facebook", externalID: $0) }.count
        var r = Result()
        r.sent = load.sent
        r.acked = load.ackedIDs.count
        r.stored = stored
        r.exact = stored == r.acked && missing == 0 && server.terminationStatus == 0
        r.ackedPerSecond = Double(r.acked) / load.duration
        r.ackP50 = percentile(load.latencies, 0.5)
        r.ackP99 = percentile(load.latencies, 0.99)
        r.visibleP50 = percentile(watcher.latencies, 0.5)
        r.visibleP99 = percentile(watcher.latencies, 0.99)
        return r
    }

    private func prefill(_ inbox: InboxDatabase, dir: String) throws {
        guard messages > 0 else { return }
        let input = dir + "/prefill.jsonl"
        try SyntheticInbox.write(messages: messages, to: input)
        let classify = try PolicySet.defaultDirectory().map { IngestClassifier.make(try PolicySet.load(from: $0)) }
        var ingester = Ingester(inbox: inbox, classify: classify)
        ingester.onRejection = { _ in }
        guard let h = FileHandle(forReadingAtPath: input) else { throw ServeError("cannot read \(input)") }
        try ingester.ingest(IngestReader(name: input, handle: h, format: .jsonl))
    }

    private func waitForPort(_ log: String) throws -> Int {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.contains("\"msg\":\"listening\"") }),
               let r = line.range(of: "\"port\":\"") {
                return Int(line[r.upperBound...].prefix { $0.isNumber }) ?? 0
            }
            usleep(20_000)
        }
        throw ServeError("the server did not start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    }

    struct Load: Sendable {
        var sent: Int
        var ackedIDs: [String]
        var latencies: [Double]
        var duration: Double
    }

    /// Sends `rate` requests a second for `seconds`, each on schedule.
    private func sendLoad(port: Int, watcher: VisibilityWatcher) async throws -> Load {
        var config = HTTPClient.Configuration()
        config.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        let url = "http://127.0.0.1:\(port)/webhooks/meta"
        let total = rate * seconds
        let interval = 1.0 / Double(rate)
        let start = DispatchTime.now().uptimeNanoseconds
        let results = await withTaskGroup(of: (String, Double)?.self) { group -> [(String, Double)] in
            for i in 0..<total {
                let due = start + UInt64(Double(i) * interval * 1e9)
                let now = DispatchTime.now().uptimeNanoseconds
                if due > now { try? await Task.sleep(nanoseconds: due - now) }
                group.addTask {
                    let id = "bench\(i)"
                    let body = Self.payload(id: id, index: i)
                    var request = HTTPClientRequest(url: url)
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.headers.add(name: "X-Hub-Signature-256", value: Self.sign(body))
                    request.body = .bytes(ByteBuffer(bytes: body))
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    guard let response = try? await client.execute(request, timeout: .seconds(30)) else { return nil }
                    _ = try? await response.body.collect(upTo: 1 << 16)
                    let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
                    guard response.status == .ok else { return nil }
                    if i % 10 == 0 { watcher.watch("\(id)_c") }
                    return ("\(id)_c", ms)
                }
            }
            var out: [(String, Double)] = []
            for await r in group { if let r { out.append(r) } }
            return out
        }
        let duration = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        try? await client.shutdown()
        return Load(sent: total, ackedIDs: results.map(\.0), latencies: results.map(\.1), duration: duration)
    }

    static func payload(id: String, index: Int) -> Data {
        let text = ["When are you open on Saturday?", "Thank you to the nurses on ward 4", "Is parking free for visitors?",
                    "My father has had chest pain since this morning, what should he do?"][index % 4]
        return Data("""
            {"object":"page","entry":[{"id":"1234567890","time":1764800000,"changes":[{"field":"feed","value":{"item":"comment","verb":"add","comment_id":"\(id)_c","post_id":"1234567890_1","parent_id":"1234567890_1","from":{"id":"\(900_000 + index)","name":"Bench Person"},"message":"\(text)","created_time":1764800000}}]}]}
            """.utf8)
    }

    static func sign(_ body: Data) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }
}

/// Measures, for a sample of acknowledged comments, the time until each is in the inbox's
/// message table (what the console reads), looking every 5 ms from a connection of its own.
final class VisibilityWatcher: @unchecked Sendable {
    private let inbox: InboxDatabase
    private let lock = NSLock()
    private var pending: [(String, UInt64)] = []
    private var found: [Double] = []
    private var running = true

    init(inbox: InboxDatabase) { self.inbox = inbox }

    var latencies: [Double] { lock.withLock { found } }

    func watch(_ id: String) { lock.withLock { pending.append((id, DispatchTime.now().uptimeNanoseconds)) } }

    func start() {
        Thread { [self] in
            var stoppedAt: Date?
            while true {
                let (batch, stillRunning) = lock.withLock { (pending, running) }
                if !stillRunning {
                    stoppedAt = stoppedAt ?? Date()
                    // After the load, wait for the rest (ingest catches up), at most 30 s.
                    if batch.isEmpty || Date().timeIntervalSince(stoppedAt!) > 30 { return }
                }
                var seen: Set<String> = []
                for (id, t0) in batch where (try? inbox.hasMessage(platform: "facebook", externalID: id)) == true {
                    seen.insert(id)
                    let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
                    lock.withLock { found.append(ms) }
                }
                if !seen.isEmpty { lock.withLock { pending.removeAll { seen.contains($0.0) } } }
                usleep(5_000)
            }
        }.start()
    }

    func stop() { lock.withLock { running = false } }
}

/// A console's reads while the load runs: the queue counts and the first page, once a second
/// (what a console does when the inbox changes).
final class ConsoleLoad: @unchecked Sendable {
    private let inbox: InboxDatabase
    private let lock = NSLock()
    private var running = true

    init(inbox: InboxDatabase) { self.inbox = inbox }

    func start() {
        Thread { [self] in
            while lock.withLock({ running }) {
                let store = SQLiteConsoleStore(inbox: inbox, role: "moderator", reader: "bench-console")
                _ = try? store.queueCounts(moderator: "bench-console")
                _ = try? store.page(queue: .new, query: .all, moderator: "bench-console", anchor: .start, limit: 40)
                usleep(1_000_000)
            }
        }.start()
    }

    func stop() { lock.withLock { running = false } }
}
