import Foundation
import XCTest

/// The real console in a real tmux while the real server receives a webhook: the message is on
/// the moderator's screen within 2 seconds, and the status line shows the connections.
final class ConsoleLiveTests: XCTestCase {
    var tmuxPath = ""
    let socket = "rounds-live-\(getpid())"

    override func tearDown() {
        if !tmuxPath.isEmpty { _ = try? tmux(["kill-server"]) }
    }

    func testAWebhookMessageReachesARunningConsoleWithinTwoSeconds() async throws {
        guard let tmux = ["/usr/bin/tmux", "/usr/local/bin/tmux"].first(where: FileManager.default.isExecutableFile) else {
            throw XCTSkip("tmux is not installed")
        }
        tmuxPath = tmux
        let s = try Scratch()
        let graph = try FakePlatform(scenario: ["page_token": TestSecrets.pageToken, "subscribed": ["1234567890": ["feed"]]], scratch: s)
        let conn = try s.write("connections.yml", TestSecrets.connections(graphURL: graph.base))
        let db = s.path("inbox.sqlite")
        let server = try RunningServer(db: db, connections: conn, scratch: s)
        let first = try await HTTP.postMeta(server.base, MetaPayloads.comments(entries: 1, perEntry: 1, prefix: "warm"))
        XCTAssertEqual(first.status, 200)

        try startConsole("env -u NO_COLOR -u ROUNDS_DB TERM=tmux-256color LANG=C.UTF-8 '\(Binaries.rounds)' console --db '\(db)'; sleep 60")
        try eventually(20, "the console shows the queues and Meta's state") {
            let screen = try capture()
            return screen.contains { $0.contains("Urgent 0") } && screen.contains { $0.contains("Meta ✓") }
        }

        // A crisis statement lands in Urgent, the queue the console opens on.
        let text = "I cannot go on, I want to end my life tonight"
        let body = MetaPayloads.comments(entries: 1, perEntry: 1, prefix: "crisis", text: text)
        let sent = Date()
        let answer = try await HTTP.postMeta(server.base, body)
        XCTAssertEqual(answer.status, 200)
        var seenAfter: Double?
        while Date().timeIntervalSince(sent) < 10 {
            if try capture().contains(where: { $0.contains("I cannot go on") }) {
                seenAfter = Date().timeIntervalSince(sent)
                break
            }
            usleep(50_000)
        }
        let screen = try capture().joined(separator: "\n")
        let seconds = try XCTUnwrap(seenAfter, "the message never appeared: \(screen)")
        print("console live: webhook to screen in \(String(format: "%.2f", seconds)) s")
        XCTAssertLessThanOrEqual(seconds, 2.0)
        XCTAssertTrue(try capture().contains { $0.contains("Urgent 1") })
        XCTAssertEqual(server.terminate(), 0)
    }

    // MARK: - tmux

    @discardableResult
    private func tmux(_ args: [String]) throws -> (status: Int32, out: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tmuxPath)
        p.arguments = ["-L", socket] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Not through `tmux()`: the tmux server forks from the client and keeps its descriptors,
    /// so waiting for that client's output would last as long as the server.
    private func startConsole(_ command: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tmuxPath)
        p.arguments = ["-L", socket, "-f", "/dev/null", "new-session", "-d", "-s", "s", "-x", "160", "-y", "30", command]
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "TMUX")
        p.environment = env
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        try eventually(10, "the tmux session") { try tmux(["has-session", "-t", "s"]).status == 0 }
    }

    private func capture() throws -> [String] {
        try tmux(["capture-pane", "-t", "s", "-p"]).out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }
}
