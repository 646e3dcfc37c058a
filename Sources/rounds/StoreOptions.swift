import ArgumentParser
import Foundation
import Store

/// `--db PATH`, shared by every command that opens the inbox.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The inbox database file (else $ROUNDS_DB, else ./rounds.sqlite).", valueName: "PATH"))
    var db: String?

    func open() throws -> InboxDatabase { try Self.open(db) }

    /// `--db`, else `ROUNDS_DB`, else `./rounds.sqlite`.
    static func path(_ db: String?) -> String {
        if let db, !db.isEmpty { return db }
        if let env = ProcessInfo.processInfo.environment["ROUNDS_DB"], !env.isEmpty { return env }
        return "rounds.sqlite"
    }

    static func open(_ db: String?) throws -> InboxDatabase {
        do {
            return try InboxDatabase(path: path(db))
        } catch let e as StoreError {
            throw UserError(e.description)
        }
    }
}

/// A failure worded for the user; printed as `rounds: message` with exit status 1.
struct UserError: Error, CustomStringConvertible {
    var description: String
    var exitCode: Int32 = 1
    init(_ description: String, exitCode: Int32 = 1) {
        self.description = description
        self.exitCode = exitCode
    }
}
