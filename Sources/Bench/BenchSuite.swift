import Console
import ConsoleAdapters
import Foundation
import InboxModel
import Ingest
import IngestPipeline
import Policy
import Reports
import Store

/// `rounds bench`: every target of targets.md measured on one synthetic inbox, as medians
/// (and p99 where the target is a tail), with same-run sqlite3 baselines where one is named.
public struct BenchSuite {
    let messages: Int
    let runs: Int
    let policies: PolicySet
    let log: (String) -> Void
    /// Smaller side workloads (a few thousand actions and classifications): proves the
    /// benchmark runs, in the test suite; figures from it are not the targets' figures.
    public var quick = false

    public struct Figure {
        var id: String, what: String, value: Double, unit: String, target: String
        var p99: Double? = nil
        var baseline: Double? = nil
    }

    public private(set) var figures: [Figure] = []
    public private(set) var json: [String: Double] = [:]

    public init(messages: Int, runs: Int, policies: PolicySet, log: @escaping (String) -> Void) {
        self.messages = messages
        self.runs = max(1, runs)
        self.policies = policies
        self.log = log
    }

    static func ms(_ from: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - from) / 1e6 }
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
    static func p(_ xs: [Double], _ q: Double) -> Double {
        guard !xs.isEmpty else { return 0 }
        let s = xs.sorted()
        return s[min(s.count - 1, Int((Double(s.count - 1) * q).rounded()))]
    }

    public mutating func run() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rounds-bench-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("inbox.jsonl").path
        log("generating \(messages) messages")
        try SyntheticInbox.write(messages: messages, to: input)

        // P1: ingest, classify and store, durable, FTS kept. A million takes minutes: once.
        let ingestRuns = messages > 200_000 ? 1 : runs
        var rates: [Double] = [], slowest: [Double] = []
        var db = ""
        for r in 1...ingestRuns {
            db = dir.appendingPathComponent("inbox\(r).sqlite").path
            // Earlier runs' files stay until the end: deleting a large file on this disk (ext4
            // with `discard`) stalled the next run's writes by 300 ms.
            log("ingest run \(r)")
            let inbox = try InboxDatabase(path: db)
            var ingester = Ingester(inbox: inbox, detailedTimings: true, classify: IngestClassifier.make(policies))
            guard let h = FileHandle(forReadingAtPath: input) else { throw BenchError("cannot read \(input)") }
            let t0 = Self.now()
            try ingester.ingest(IngestReader(name: "inbox.jsonl", handle: h, format: .jsonl))
            rates.append(Double(messages) / (Self.ms(t0) / 1000))
            slowest.append(ingester.slowestFlushMs)
            if let (i, t) = ingester.slowestTransaction {
                let all = ingester.transactions
                log(String(format: "slowest write transaction: %.1f ms (%.1f on a CPU, %.1f waiting for one, %.1f blocked; the hypervisor took %.0f ms of the machine's CPUs meanwhile), number %d of %d (the one before %.1f, after %.1f)",
                           t.ms, t.cpuMs, t.queuedMs, t.blockedMs, t.stolenMs, i + 1, all.count, i > 0 ? all[i - 1].ms : 0, i + 1 < all.count ? all[i + 1].ms : 0))
            }
        }
        add(Figure(id: "P1", what: "ingest (parse+classify+store, FTS)", value: median(rates), unit: "msg/s", target: ">= 20000"), key: "ingest_msgs_per_s")
        add(Figure(id: "P1", what: "slowest write transaction", value: median(slowest), unit: "ms", target: "<= 50"), key: "ingest_max_txn_ms")

        // P2: the classify benchmark, as its own process (single thread, CPU time).
        log("classify")
        let c = try run(Spawn.thisProgram, ["bench", "classify", "--runs", "\(runs)", "--policies", policies.directory.path]
                        + (quick ? ["--messages", "200"] : []))
        func number(after label: String) -> Double {
            guard let r = c.range(of: label) else { return 0 }
            let rest = c[r.upperBound...].drop { $0 == " " }
            return Double(rest.prefix { $0.isNumber || $0 == "." }) ?? 0
        }
        add(Figure(id: "P2", what: "classification, short messages", value: number(after: "throughput:"), unit: "msg/s/core", target: ">= 50000"), key: "classify_msgs_per_s_per_core")
        add(Figure(id: "P2", what: "classification p99", value: number(after: "p99"), unit: "µs", target: "<= 200"), key: "classify_p99_us")
        add(Figure(id: "P2", what: "one 1 MB message", value: number(after: "1 MB message:"), unit: "ms", target: "<= 50"), key: "classify_1mb_ms")
        add(Figure(id: "P2", what: "policy load", value: number(after: "policy load:"), unit: "ms", target: "< 200"), key: "policy_load_ms")

        // P3 baseline: the sqlite3 CLI running the console's first-page query. Both programs run
        // the same way: spawned on a pseudo-terminal of 120 x 40, timed from exec to exit.
        let firstPage = "SELECT \(SQLiteConsoleStore.rowColumns) FROM message WHERE lane = 'urgent' AND state = 'open' ORDER BY priority ASC, received_at DESC, id DESC LIMIT 40"
        var env = ProcessInfo.processInfo.environment
        env["TERM"] = "xterm-256color"
        env["LANG"] = "C.UTF-8"
        /// Milliseconds from spawn to exit.
        func inTerminal(_ path: String, _ args: [String]) throws -> Double {
            let t0 = Self.now()
            let status = try Spawn.runInTerminal(path, args, environment: env, columns: 120, lines: 40)
            let ms = Self.ms(t0)
            guard status == 0 else { throw BenchError("\(path) \(args.first ?? "") exited with status \(status)") }
            return ms
        }
        var sqliteFirst: [Double] = []
        for _ in 0..<runs { sqliteFirst.append(try inTerminal("/usr/bin/sqlite3", [db, firstPage])) }
        // P3: exec to first complete frame (the console leaves right after it).
        env["ROUNDS_EXIT_AFTER_FIRST_FRAME"] = "1"
        let console = ["console", "--db", db, "--policies", policies.directory.path]
        var starts: [Double] = []
        for _ in 0..<runs { starts.append(try inTerminal(Spawn.thisProgram, console)) }
        // P5: the console's peak resident size, by GNU time in separate runs. A child spawned
        // from this process starts its count from the bench's own size (posix_spawn shares
        // the parent's memory until exec); time(1) forks from a small process.
        var rss: [Double] = []
        let rssFile = dir.appendingPathComponent("rss.txt").path
        for _ in 0..<runs {
            _ = try inTerminal("/usr/bin/time", ["-f", "%M", "-o", rssFile, Spawn.thisProgram] + console)
            let text = try String(contentsOfFile: rssFile, encoding: .utf8)
            guard let kb = Double(text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").last ?? "") else {
                throw BenchError("no peak resident size in \(rssFile): \(text)")
            }
            rss.append(kb / 1024)
        }
        add(Figure(id: "P3", what: "console start, exec to first frame", value: median(starts), unit: "ms", target: "<= 300, <= 3x sqlite3", baseline: median(sqliteFirst)), key: "console_start_ms")
        json["sqlite3_first_page_ms"] = median(sqliteFirst)
        add(Figure(id: "P5", what: "console peak RSS (start)", value: rss.max() ?? 0, unit: "MB", target: "<= 64"), key: "console_rss_mb")

        // P4: key to frame on the real path: key decoding, reduce, store query, render.
        try keyToFrame(db: db)

        // P6: export of 100,000 actions against sqlite3 -csv on the same query.
        try exportFigures(db: db)

        // P7: moderator actions while an ingest process writes.
        try actionsDuringIngest(db: db, dir: dir)
    }

    mutating func add(_ f: Figure, key: String) {
        figures.append(f)
        json[key] = f.value
    }

    mutating func keyToFrame(db: String) throws {
        log("key to frame")
        let inbox = try InboxDatabase(path: db)
        let store = SQLiteConsoleStore(inbox: inbox, role: "lead", reader: "bench")
        let driver = ConsoleDriver(state: ConsoleState(moderator: "bench", role: .lead, width: 120, height: 40, now: Date()),
                                   store: store, policy: PolicyConsoleAdapter(policies))
        driver.send(.started(now: Date()))
        _ = Renderer.render(driver.state)
        func press(_ keys: [KeyEvent]) -> Double {
            let t0 = Self.now()
            for k in keys { driver.send(.keyPressed(k)) }
            _ = Renderer.render(driver.state)
            return Self.ms(t0)
        }
        func type(_ text: String) { for ch in text { driver.send(.keyPressed(.char(ch))) } }
        var nav: [Double] = [], queue: [Double] = [], filter: [Double] = [], search: [Double] = []
        let scale = quick ? 1 : 10
        for i in 0..<(30 * scale * runs) { nav.append(press([.char(i % 50 < 45 ? "j" : "k")])) }
        for _ in 0..<(2 * scale * runs) { queue.append(press([.tab])) }
        let filters = ["platform:x", "kind:dm", "flag:spam", "lang:es", "platform:instagram kind:comment", "-platform:x"]
        // Each filter in the largest lane, a small one and Reviews: a filter that matches few
        // messages of a large lane is the slow case.
        let lanes = ["new", "urgent", "reviews"]
        for i in 0..<(scale * runs) {
            driver.send(.keyPressed(.char(":")))
            type("queue \(lanes[(i / filters.count) % lanes.count])")
            driver.send(.keyPressed(.enter))
            driver.send(.keyPressed(.char(":")))
            type("filter \(filters[i % filters.count])")
            filter.append(press([.enter]))
        }
        let words = ["flu", "the", "parking", "billing", "fever", "\"flu shot\"", "nurses", "help"]
        for i in 0..<(scale * runs) {
            driver.send(.keyPressed(.char("/")))
            type(words[i % words.count])
            search.append(press([.enter]))
        }
        add(Figure(id: "P4", what: "key to frame: navigation", value: Self.p(nav, 0.5), unit: "ms", target: "p99 <= 8", p99: Self.p(nav, 0.99)), key: "key_nav_p99_ms")
        json["key_nav_p99_ms"] = Self.p(nav, 0.99)
        add(Figure(id: "P4", what: "key to frame: queue switch", value: Self.p(queue, 0.5), unit: "ms", target: "p99 <= 50", p99: Self.p(queue, 0.99)), key: "key_queue_p99_ms")
        json["key_queue_p99_ms"] = Self.p(queue, 0.99)
        add(Figure(id: "P4", what: "key to frame: filter", value: Self.p(filter, 0.5), unit: "ms", target: "p99 <= 50", p99: Self.p(filter, 0.99)), key: "key_filter_p99_ms")
        json["key_filter_p99_ms"] = Self.p(filter, 0.99)
        add(Figure(id: "P4", what: "key to frame: search", value: Self.p(search, 0.5), unit: "ms", target: "p95 <= 100", p99: Self.p(search, 0.95)), key: "search_p95_ms")
        json["search_p95_ms"] = Self.p(search, 0.95)
    }

    mutating func exportFigures(db: String) throws {
        log("export")
        let inbox = try InboxDatabase(path: db)
        let start = Date()
        try inbox.insertSyntheticActions(quick ? 2_000 : 100_000, moderators: ["ana", "bo", "cy", "di"], at: start)
        var ours: [Double] = [], theirs: [Double] = []
        let to = Date().addingTimeInterval(60)
        for _ in 0..<runs {
            let t0 = Self.now()
            var sink = OutputSink.discarding()
            var writer = ExportWriter(format: .csv, includeText: false)
            sink.write(writer.header())
            try inbox.exportActions(from: start.addingTimeInterval(-60), to: to, includeText: false) { sink.write($0, with: &writer) }
            _ = try sink.finish()
            sink.discard()
            ours.append(Self.ms(t0) / 1000)
            let t1 = Self.now()
            _ = try run("/usr/bin/sqlite3", ["-csv", db, InboxDatabase.exportSQL(includeText: false)
                .replacingOccurrences(of: "a.at >= ? AND a.at < ?", with: "a.at >= \(Int64(start.timeIntervalSince1970 * 1000) - 60_000) AND a.at < \(Int64(to.timeIntervalSince1970 * 1000))")],
                        discardOutput: true)
            theirs.append(Self.ms(t1) / 1000)
        }
        add(Figure(id: "P6", what: "export 100,000 actions (CSV)", value: median(ours), unit: "s", target: "<= 2, <= 2x sqlite3 -csv", baseline: median(theirs)), key: "export_100k_s")
        json["sqlite3_export_100k_s"] = median(theirs)
    }

    mutating func actionsDuringIngest(db: String, dir: URL) throws {
        log("actions during ingest")
        let more = dir.appendingPathComponent("more.jsonl").path
        let lateMessages = quick ? 5_000 : max(20_000, min(messages / 5, 200_000))
        try SyntheticInbox.write(messages: lateMessages, seed: 99, idPrefix: "late", to: more)
        let ingest = Process()
        ingest.executableURL = URL(fileURLWithPath: Spawn.thisProgram)
        ingest.arguments = ["ingest", "--db", db, "--policies", policies.directory.path, more]
        ingest.standardOutput = FileHandle.nullDevice
        ingest.standardError = FileHandle.nullDevice
        try ingest.run()
        defer { if ingest.isRunning { ingest.terminate() }; ingest.waitUntilExit() }
        let inbox = try InboxDatabase(path: db)
        let store = SQLiteConsoleStore(inbox: inbox, role: "moderator", reader: "bench")
        var latencies: [Double] = []
        var anchor = PageAnchor.start
        while latencies.count < (quick ? 20 : 200) * runs && ingest.isRunning {
            let rows = try store.page(queue: .new, query: .all, moderator: "bench", anchor: anchor, limit: 20)
            guard let last = rows.last else { break }
            anchor = .after(last.cursor)
            for row in rows where row.claimedBy == nil {
                let t0 = Self.now()
                _ = store.perform(.claim(message: row.id), moderator: "bench")
                latencies.append(Self.ms(t0))
                let t1 = Self.now()
                _ = store.perform(.markDone(message: row.id), moderator: "bench")
                latencies.append(Self.ms(t1))
            }
        }
        add(Figure(id: "P7", what: "moderator action during ingest", value: Self.p(latencies, 0.5), unit: "ms", target: "p99 <= 50", p99: Self.p(latencies, 0.99)), key: "action_p99_ms_during_ingest")
        json["action_p99_ms_during_ingest"] = Self.p(latencies, 0.99)
        json["actions_measured_during_ingest"] = Double(latencies.count)
    }

    /// Runs a program, returns its standard output (or nothing when discarded); a program that
    /// fails stops the bench rather than giving it a figure.
    func run(_ path: String, _ args: [String], columns: String? = nil, lines: String? = nil, discardOutput: Bool = false) throws -> String {
        var env = ProcessInfo.processInfo.environment
        if let columns { env["COLUMNS"] = columns }
        if let lines { env["LINES"] = lines }
        let outcome = try Spawn.run(path, args, environment: env, discardOutput: discardOutput)
        guard outcome.status == 0 else { throw BenchError("\(path) \(args.first ?? "") exited with status \(outcome.status)") }
        return String(decoding: outcome.output, as: UTF8.self)
    }

    public func table() -> String {
        var out = "id   what                                      median        p99  unit      target                      baseline   ratio\n"
        for f in figures {
            let ratio = f.baseline.map { $0 > 0 ? String(format: "%.2fx", f.value / $0) : "-" } ?? ""
            out += "\(f.id.padding(toLength: 4, withPad: " ", startingAt: 0)) \(f.what.padding(toLength: 40, withPad: " ", startingAt: 0)) "
            out += String(format: "%10.2f ", f.value) + (f.p99.map { String(format: "%.2f", $0) } ?? "").leftPadded(10) + "  "
            out += "\(f.unit.padding(toLength: 9, withPad: " ", startingAt: 0)) \(f.target.padding(toLength: 26, withPad: " ", startingAt: 0)) "
            out += (f.baseline.map { String(format: "%.3f", $0) } ?? "").leftPadded(9) + " " + ratio.leftPadded(7) + "\n"
        }
        return out
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
