import CNcursesw
import Console
import InboxModel
import Foundation

/// Set by SIGINT/SIGTERM/SIGHUP; the run loop sees it within one input timeout and ends
/// cleanly (ncurses is not async-signal-safe, so the handler does nothing else).
nonisolated(unsafe) private var stopSignal: Int32 = 0

/// The console's run loop on a real terminal.
public enum ConsoleApp {
    /// Runs the console until the moderator quits or a signal arrives; restores the terminal.
    ///
    /// Polls input every 250 ms, ticks the undo countdown and polls `store.dataVersion()`
    /// about once a second, carries out effects against `store` and `policy`, and redraws.
    /// On SIGINT/SIGTERM/SIGHUP pending replies are released (they were queued on purpose; the
    /// undo window is only a grace period) and the terminal is restored.
    public static func run(store: ConsoleStore, policy: ConsolePolicy, moderator: String, role: Role,
                           keyMap: KeyMap = .defaults, theme: Theme = .fromEnvironment(),
                           timeZone: TimeZone = .current, idleLockMinutes: Int = 10,
                           exporter: ((QueueID, InboxQuery, String?) -> Result<String, Refusal>)? = nil,
                           afterFirstFrame: (() throws -> Void)? = nil) throws {
        let term = try TerminalScreen(theme: theme)
        defer { term.end() }
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig) { s in stopSignal = s }
        }
        defer { for sig in [SIGINT, SIGTERM, SIGHUP] { signal(sig, SIG_DFL) } }

        let (w, h) = term.size
        var state = ConsoleState(moderator: moderator, role: role, keyMap: keyMap, timeZone: timeZone,
                                 width: w, height: h, now: Date())
        state.idleLockSeconds = TimeInterval(idleLockMinutes * 60)
        let driver = ConsoleDriver(state: state, store: store, policy: policy)
        driver.exporter = exporter
        driver.send(.started(now: Date()))
        var lastTick = Date.distantPast
        var firstFrameDone = afterFirstFrame
        // `rounds bench` times exec-to-first-frame: it asks the console to leave once drawn.
        let exitAfterFirstFrame = ProcessInfo.processInfo.environment["ROUNDS_EXIT_AFTER_FIRST_FRAME"] == "1"
        while true {
            if stopSignal != 0 {
                for p in driver.state.pendingReplies { _ = store.perform(.releaseReply(outbox: p.outboxID), moderator: moderator) }
                break
            }
            let force = driver.redrawRequested  // Ctrl-L: repaint every cell, clear the terminal
            driver.redrawRequested = false
            term.present(Renderer.render(driver.state), force: force)
            if exitAfterFirstFrame {
                // What is timed is exec to this frame: leave now, without freeing what a
                // quitting console frees (the policies alone took 7.5M instructions).
                term.end()
                exit(0)
            }
            if driver.quitRequested { break }
            if let pending = firstFrameDone {
                // e.g. the rest of the policies, loaded while the first screen was drawn
                firstFrameDone = nil
                try pending()
                driver.policiesLoaded()
                continue
            }
            if let key = term.readKey() {
                if key == .resize {
                    let (w, h) = term.size
                    term.invalidate()
                    driver.send(.terminalResized(width: w, height: h))
                } else {
                    driver.send(.keyPressed(key))
                }
            }
            let now = Date()
            if now.timeIntervalSince(lastTick) >= 0.25 {
                lastTick = now
                driver.send(.clockTicked(now))
            }
        }
    }
}
