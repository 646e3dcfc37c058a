import ConsoleAdapters
import Console
import Foundation
import InboxModel
import Store

/// One simulated moderator working a shift, for contention tests and benchmarks: claims
/// the first free messages of a queue, replies to some, hides or closes others, through the
/// same store the console uses. Prints one JSON line per acknowledged action, so a test can
/// check afterwards that nothing acknowledged was lost and nothing was done twice.
public struct ShiftSimulation {
    public var inbox: InboxDatabase
    public var name: String
    public var actions: Int
    public var queue: QueueID

    public init(inbox: InboxDatabase, name: String, actions: Int, queue: QueueID) {
        self.inbox = inbox; self.name = name; self.actions = actions; self.queue = queue
    }

    public func run() throws {
        // It acts under any name it is given: never on an inbox with a team (a real one).
        guard try !inbox.hasTeam() else {
            throw BenchError("bench shift simulates moderators on a synthetic inbox; \(inbox.path) has a team, so it would act in someone else's name")
        }
        let console = SQLiteConsoleStore(inbox: inbox, role: "moderator", reader: name)
        var done = 0
        var refusals = 0
        var emptyRounds = 0
        var rng = SplitMix64(seed: UInt64(abs(name.hashValue)))
        func emit(_ action: String, _ id: Int64, _ detail: String = "") {
            // Written straight to the file descriptor: each line is out before the next action.
            // Every string JSON-escaped: a name or refusal with a quote or control character
            // must still give one valid JSON line.
            FileHandle.standardOutput.write(Data(("{\"moderator\":\(String.jsonQuoted(name)),\"action\":\(String.jsonQuoted(action)),\"message\":\(id),\"detail\":\(String.jsonQuoted(detail))}" + "\n").utf8))
        }
        while done < actions {
            let rows = try console.page(queue: queue, query: .all, moderator: name, anchor: .start, limit: 20).filter { $0.claimedBy == nil }
            if rows.isEmpty {
                emptyRounds += 1
                if emptyRounds > 50 { break }
                usleep(20_000)
                continue
            }
            // Everyone goes for the same few rows: that is the contention being tested.
            let row = rows[rng.below(min(3, rows.count))]
            switch console.perform(.claim(message: row.id), moderator: name) {
            case .failure(let r):
                refusals += 1
                if r.message.lowercased().contains("locked") { emit("error", row.id, r.message) }
                continue
            case .success:
                emit("claim", row.id)
            }
            let command: ModeratorCommand
            switch rng.below(3) {
            case 0: command = .queueReply(message: row.id, text: "Please call us at (617) 555-0142.", templateID: "bench", visibility: row.visibility, override: nil)
            case 1: command = .hide(message: row.id, reasonCode: "spam")
            default: command = .markDone(message: row.id)
            }
            switch console.perform(command, moderator: name) {
            case .success(let receipt):
                emit("\(command)".hasPrefix("queueReply") ? "reply" : "\(command)".hasPrefix("hide") ? "hide" : "done", row.id, receipt.outboxID.map(String.init) ?? "")
                done += 1
            case .failure(let r):
                refusals += 1
                emit("refused", row.id, r.message)
            }
        }
        FileHandle.standardError.write(Data("\(UntrustedText.line(name)): \(done) actions, \(refusals) refusals\n".utf8))
    }
}
