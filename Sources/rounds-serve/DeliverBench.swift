import ArgumentParser
import Foundation
import GRDB
import Hummingbird
import Ingest
import Logging
import IngestPipeline
import SafeFiles
import Store

/// `rounds bench deliver`: the real delivery worker (`rounds-serve deliver`, a child process)
/// against a fake Graph API in this process that answers every call after `latency`. Three
/// phases per run, each on a new inbox: a backlog (deliveries per second), a steady stream of
/// replies whose undo windows end 20 times a second (undo end to `sent`, p50 and p99), and a
/// crash run (`kill -9` of the worker at random points, then every duplicate the fake saw).
struct DeliverBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-deliver",
        abstract: "Deliveries per second against a fake platform, undo end to sent, and duplicates after kill -9.",
        usage: "rounds bench deliver [--backlog <n>] [--latency-ms <n>] [--per-connection <n>] [--runs <n>] [--kills <n>]",
        discussion: "Each run uses new inboxes in a private temporary folder, removed afterwards. Figures: docs/performance.md."
    )

    @Option(help: "Replies ready at once in the backlog phase.") var backlog: Int = 600
    @Option(help: "The fake platform's response time, in milliseconds.") var latencyMs: Int = 50
    @Option(help: "Calls in flight per page (the worker's --per-connection).") var perConnection: Int = 8
    @Option(help: "Runs (medians are reported).") var runs: Int = 3
    @Option(help: "kill -9 of the worker in each crash run.") var kills: Int = 5

    func validate() throws {
        guard backlog > 0, latencyMs >= 0, perConnection > 0, runs > 0, kills >= 0 else { throw ValidationError("every figure must be positive") }
    }

    func run() async throws {
        let fake = FakeGraph(latency: Double(latencyMs) / 1000)
        let port = try await fake.start()
        var rates: [Double] = [], p50s: [Double] = [], p99s: [Double] = []
        var duplicates = (comments: 0, messages: 0, privateReplies: 0, held: 0)
        for i in 1...runs {
            let run = DeliverRun(graph: "http://127.0.0.1:\(port)/graph", fake: fake, perConnection: perConnection)
            let rate = try await run.backlog(backlog)
            let (p50, p99) = try await run.steady(count: 200, perSecond: 20)
            let d = try await run.crash(count: 300, kills: kills)
            print(String(format: "run %d: backlog %d replies at %.0f deliveries/s; undo end to sent p50 %.0f ms p99 %.0f ms; crash run (%d kills): duplicates %d comment replies, %d direct messages, %d private replies; %d private replies held for a lead",
                         i, backlog, rate, p50, p99, kills, d.comments, d.messages, d.privateReplies, d.held))
            rates.append(rate); p50s.append(p50); p99s.append(p99)
            duplicates.comments += d.comments; duplicates.messages += d.messages; duplicates.privateReplies += d.privateReplies
            duplicates.held += d.held
        }
        print(String(format: "deliver: median of %d runs, %d ms platform latency, %d calls in flight per page: %.0f deliveries/s; undo end to sent p50 %.0f ms p99 %.0f ms; after %d kills: %d duplicates (target 0: %d comment replies, %d direct messages, %d private replies); %d interrupted private replies held for a lead (the documented window)",
                     runs, latencyMs, perConnection, median(rates), median(p50s), median(p99s), runs * kills,
                     duplicates.comments + duplicates.messages + duplicates.privateReplies, duplicates.comments, duplicates.messages,
                     duplicates.privateReplies, duplicates.held))
        await fake.stop()
        if duplicates.comments + duplicates.messages + duplicates.privateReplies > 0 { throw ExitCode(1) }
    }

    private func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
}

/// One inbox and the worker processes run against it.
struct DeliverRun {
    let graph: String
    let fake: FakeGraph
    let perConnection: Int
    static let page = "1234567890"

    /// A private folder holding an inbox of `count` Facebook comments and a DM, and the connections file.
    private func setUp(_ name: String, count: Int) throws -> (dir: String, inbox: InboxDatabase, conn: String) {
        let dir = try SafeFiles.makePrivateDirectory(prefix: "rounds-bench-deliver")
        let conn = dir + "/connections.yml"
        let file = try PendingFile(conn, mode: 0o600)
        try file.write("meta:\n  app_secret: bench-secret\n  verify_token: bench-verify\n  graph_url: \(graph)\n  pages:\n    - id: \"\(Self.page)\"\n      access_token: bench-page-token\n")
        try file.commit()
        let input = dir + "/messages.jsonl"
        let now = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-60))
        var lines = ""
        for i in 0..<count {
            lines += "{\"platform\":\"facebook\",\"kind\":\"comment\",\"id\":\"\(Self.page)_\(name)_\(i)\",\"post_id\":\"\(Self.page)_\(name)\",\"author\":\"p\(i)\",\"text\":\"question \(i)\",\"created_at\":\"\(now)\"}\n"
            lines += "{\"platform\":\"messenger\",\"kind\":\"dm\",\"id\":\"m_\(name)_\(i)\",\"post_id\":\"psid\(name)\(i):\(Self.page)\",\"author\":\"psid\(name)\(i)\",\"text\":\"hello \(i)\",\"created_at\":\"\(now)\"}\n"
        }
        try lines.write(toFile: input, atomically: true, encoding: .utf8)
        let inbox = try InboxDatabase(path: dir + "/inbox.sqlite")
        var ingester = Ingester(inbox: inbox, classify: nil)
        ingester.onRejection = { _ in }
        guard let h = FileHandle(forReadingAtPath: input) else { throw ServeError("cannot read \(input)") }
        try ingester.ingest(IngestReader(name: input, handle: h, format: .jsonl))
        return (dir, inbox, conn)
    }

    /// Queues a reply to each comment (and, with `kinds`, a DM answer and a private reply),
    /// released at `releaseAt(i)`.
    private func queue(_ inbox: InboxDatabase, name: String, count: Int, kinds: Bool = false, releaseAt: (Int) -> Int64) throws {
        try inbox.pool.write { db in
            for i in 0..<count {
                let kind = kinds ? i % 3 : 0
                let external = kind == 1 ? "m_\(name)_\(i)" : "\(Self.page)_\(name)_\(i)"
                try db.execute(sql: """
                    INSERT INTO outbox (message_id, moderator, platform, visibility, text, state, created_at, release_at, action, account)
                    SELECT id, 'bench', platform, ?, ?, 'pending', ?, ?, 'reply', ? FROM message WHERE external_id = ?
                    """, arguments: [kind == 2 ? "private" : "public", "Thanks, please call us (\(i)).", AuditEvent.nowMs(), releaseAt(i), Self.page, external])
            }
        }
    }

    private func worker(_ dir: String, _ conn: String, once: Bool) throws -> Process {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let p = Process()
        p.executableURL = URL(fileURLWithPath: me)
        p.arguments = ["deliver", "--db", dir + "/inbox.sqlite", "--connections", conn, "--per-connection", String(perConnection),
                       "--retry-seconds", "0.2"] + (once ? ["--once"] : [])
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    private func sentTimes(_ inbox: InboxDatabase) throws -> [(release: Int64, sent: Int64)] {
        try inbox.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT release_at, sent_at FROM outbox WHERE state = 'sent' ORDER BY sent_at").map { ($0[0], $0[1]) }
        }
    }

    /// Deliveries per second with `count` replies ready at once: from the first `sent` to the last.
    func backlog(_ count: Int) async throws -> Double {
        let (dir, inbox, conn) = try setUp("b", count: count)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try queue(inbox, name: "b", count: count) { _ in AuditEvent.nowMs() }
        let p = try worker(dir, conn, once: true)
        p.waitUntilExit()
        let times = try sentTimes(inbox)
        guard times.count == count, let first = times.first?.sent, let last = times.last?.sent, last > first else {
            throw ServeError("backlog: \(times.count) of \(count) sent")
        }
        return Double(count - 1) / (Double(last - first) / 1000)
    }

    /// Undo windows ending `perSecond` times a second while the worker runs: end to `sent`.
    func steady(count: Int, perSecond: Int) async throws -> (Double, Double) {
        let (dir, inbox, conn) = try setUp("s", count: count)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = try worker(dir, conn, once: false)
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        try await Task.sleep(nanoseconds: 1_000_000_000)  // started and idle
        let start = AuditEvent.nowMs() + 500
        try queue(inbox, name: "s", count: count) { start + Int64($0 * 1000 / perSecond) }
        let deadline = Date().addingTimeInterval(Double(count / perSecond) + 60)
        while try sentTimes(inbox).count < count, Date() < deadline { try await Task.sleep(nanoseconds: 100_000_000) }
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        let waits = try sentTimes(inbox).map { Double($0.sent - $0.release) }
        guard waits.count == count else { throw ServeError("steady: \(waits.count) of \(count) sent") }
        return (percentile(waits, 0.5), percentile(waits, 0.99))
    }

    /// Comment replies, DM answers and private replies; the worker killed `kills` times at random
    /// points, then run to the end. Duplicates as the fake platform counted them, and the
    /// private replies held for a lead (cut off while in flight, and not verifiable).
    func crash(count: Int, kills: Int) async throws -> (comments: Int, messages: Int, privateReplies: Int, held: Int) {
        // A name of its own: the fake platform outlives the run.
        let name = "c\(UInt32.random(in: 0...UInt32.max))"
        let (dir, inbox, conn) = try setUp(name, count: count)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try queue(inbox, name: name, count: count, kinds: true) { _ in AuditEvent.nowMs() }
        await fake.reset()
        for _ in 0..<kills {
            let p = try worker(dir, conn, once: false)
            try await Task.sleep(nanoseconds: UInt64.random(in: 150_000_000...700_000_000))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        let p = try worker(dir, conn, once: false)
        let deadline = Date().addingTimeInterval(120)
        let settled = { (c: [String: Int]) in c["sent", default: 0] + c["failed", default: 0] }
        while try settled(inbox.deliveryCounts()) < count, Date() < deadline { try await Task.sleep(nanoseconds: 100_000_000) }
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        let counts = try inbox.deliveryCounts()
        let held = try await inbox.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM outbox WHERE state = 'failed' AND error_code = 'unverified'") ?? 0 }
        guard settled(counts) == count, counts["failed", default: 0] == held else {
            throw ServeError("crash run: not every reply was sent or held for a lead: \(counts)")
        }
        let d = await fake.duplicates()
        return (d.comments, d.messages, d.privateReplies, held)
    }
}

/// The part of Meta's Graph API the bench needs: comment replies and their listing, the Send
/// API and the Conversations API, each answered after `latency`.
actor FakeGraph {
    let latency: Double
    private var made: [String: [String]] = [:]   // target -> texts
    private var dups = (comments: 0, messages: 0, privateReplies: 0)
    private var serverTask: Task<Void, Error>?

    init(latency: Double) { self.latency = latency }

    func reset() {
        made = [:]
        dups = (0, 0, 0)
    }

    func duplicates() -> (comments: Int, messages: Int, privateReplies: Int) { dups }

    private func record(_ kind: Int, target: String, text: String) -> Int {
        if made[target, default: []].contains(text) {
            switch kind {
            case 0: dups.comments += 1
            case 1: dups.messages += 1
            default: dups.privateReplies += 1
            }
        }
        made[target, default: []].append(text)
        return made.count * 1000 + made[target]!.count
    }

    private func list(_ target: String) -> [String] { made[target] ?? [] }

    func start() async throws -> Int {
        let router = Router()
        let latency = self.latency
        router.post("/graph/:id/comments") { request, context in
            let id = context.parameters.get("id") ?? ""
            let form = try await Self.form(request)
            try await Task.sleep(nanoseconds: UInt64(latency * 1e9))
            let n = await self.record(0, target: id, text: form["message"] ?? "")
            return Self.json("{\"id\":\"\(id)_r\(n)\"}")
        }
        router.get("/graph/:id/comments") { _, context in
            let id = context.parameters.get("id") ?? ""
            try await Task.sleep(nanoseconds: UInt64(latency * 1e9))
            let items = await self.list(id).enumerated().map { "{\"id\":\"\(id)_r\($0.offset)\",\"message\":\(Self.quote($0.element)),\"from\":{\"id\":\"\(DeliverRun.page)\"}}" }
            return Self.json("{\"data\":[\(items.joined(separator: ","))]}")
        }
        router.post("/graph/:id/messages") { request, _ in
            let body = try await request.body.collect(upTo: 1 << 20)
            let o = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
            let recipient = o["recipient"] as? [String: String] ?? [:]
            let text = (o["message"] as? [String: String])?["text"] ?? ""
            try await Task.sleep(nanoseconds: UInt64(latency * 1e9))
            let isPrivate = recipient["comment_id"] != nil
            let target = "dm:" + (recipient["comment_id"] ?? recipient["id"] ?? "")
            let n = await self.record(isPrivate ? 2 : 1, target: target, text: text)
            return Self.json("{\"recipient_id\":\"x\",\"message_id\":\"m_\(n)\"}")
        }
        router.get("/graph/:id/conversations") { request, _ in
            let person = request.uri.queryParameters.get("user_id") ?? ""
            try await Task.sleep(nanoseconds: UInt64(latency * 1e9))
            let items = await self.list("dm:" + person).map { "{\"id\":\"m\",\"message\":\(Self.quote($0)),\"from\":{\"id\":\"\(DeliverRun.page)\"}}" }
            return Self.json("{\"data\":[{\"id\":\"t\",\"messages\":{\"data\":[\(items.joined(separator: ","))]}}]}")
        }
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        var quiet = Logger(label: "rounds.bench.fake-graph")
        quiet.logLevel = .critical  // its start and stop are not the bench's figures
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: quiet)
        serverTask = Task { try await app.runService() }
        for await port in stream { return port }
        throw ServeError("the fake platform did not start")
    }

    func stop() { serverTask?.cancel() }

    private static func form(_ request: Request) async throws -> [String: String] {
        let body = try await request.body.collect(upTo: 1 << 20)
        let text = String(buffer: body)
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            if kv.count == 2 { out[kv[0]] = kv[1] }
        }
        return out
    }

    private static func json(_ s: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: s)))
    }

    private static func quote(_ s: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: [s]), as: UTF8.self).dropFirst().dropLast().description
    }
}
