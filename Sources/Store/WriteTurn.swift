import Foundation
import GRDB
import SafeFiles

/// Moderators' writes go before ingest's next transaction.
///
/// SQLite's write lock has no queue: a waiting connection polls, and bulk ingest, which starts
/// its next transaction microseconds after the last one, won nearly every time. A claim waited
/// 80 ms (p99) behind ingest at 20,000 messages a second. So a moderator's write holds a shared
/// lock on a byte of `INBOX-turn` while it waits and commits, and ingest's writer, between two
/// transactions, waits while anyone holds it (`letModeratorsGoFirst`): at most one transaction
/// of ingest stands before a moderator.
///
/// These are POSIX record locks: the kernel frees them when a process ends, however it ends,
/// and they never conflict inside one process (tests that ingest and act in one process see
/// no turn at all). When the file cannot be created (a read-only folder), writes go on
/// without turns; a symlink, FIFO or device in its place is refused (`SafeFiles.openRegular`):
/// another member of the group could use one to change a file elsewhere.
final class WriteTurn: @unchecked Sendable {
    private let fd: Int32

    init?(inboxPath: String) throws {
        do {
            fd = try SafeFiles.openRegular(inboxPath + "-turn", mode: 0o660)
        } catch let e as FileError where e.reason.hasPrefix("cannot open") {
            return nil
        }
    }

    deinit { close(fd) }

    /// Runs a moderator's write holding the turn.
    func asModerator<T>(_ body: () throws -> T) rethrows -> T {
        let held = lock(F_RDLCK, wait: true)
        defer { if held { _ = lock(F_UNLCK, wait: false) } }
        return try body()
    }

    /// Waits, between two of ingest's transactions, until no moderator holds the turn.
    func letModeratorsGoFirst() {
        var probe = Self.range(F_WRLCK)
        guard fcntl(fd, F_GETLK, &probe) == 0, probe.l_type != Int16(F_UNLCK) else { return }
        if lock(F_WRLCK, wait: true) { _ = lock(F_UNLCK, wait: false) }
    }

    private func lock(_ type: Int32, wait: Bool) -> Bool {
        var l = Self.range(type)
        while fcntl(fd, wait ? F_SETLKW : F_SETLK, &l) != 0 {
            if errno != EINTR { return false }
        }
        return true
    }

    private static func range(_ type: Int32) -> flock {
        var l = flock()
        l.l_type = Int16(type)
        l.l_whence = Int16(SEEK_SET)
        l.l_start = 0
        l.l_len = 1
        return l
    }
}

extension InboxDatabase {
    /// A moderator's write transaction: it goes before ingest's next one (`WriteTurn`).
    public func moderatorWrite<T>(_ body: (Database) throws -> T) throws -> T {
        guard let turn else { return try pool.write(body) }
        return try turn.asModerator { try pool.write(body) }
    }
}
