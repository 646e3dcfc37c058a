import Foundation
import GRDB
import InboxModel
import SafeFiles

/// The inbox: one SQLite file in WAL mode, shared by ingest and every moderator's console.
///
/// All reads and writes go through intent-named methods on this type (and its extensions),
/// so SQL stays in this module and every statement binds its parameters.
public final class InboxDatabase: Sendable {
    public let path: String
    public let pool: DatabasePool
    /// Puts moderators' writes before ingest's next transaction (nil: no turns, see `WriteTurn`).
    let turn: WriteTurn?

    /// Opens (creating when needed) the inbox at `path` and brings its schema up to date.
    ///
    /// New files are created `rw-rw----`: moderators share the file through a Unix group,
    /// and patient information must not be world-readable. An existing file that is
    /// world-readable is refused rather than silently used.
    public init(path: String, busyTimeout: TimeInterval = 15,
                upgradeNotice: (String) -> Void = { FileHandle.standardError.write(Data(("rounds: " + $0 + "\n").utf8)) }) throws {
        self.path = path
        try Self.prepareFile(at: path)
        do {
            turn = try WriteTurn(inboxPath: path)
        } catch let e as FileError {
            throw StoreError.cannotOpen(path: path, reason: e.description)
        }
        var config = Configuration()
        // Waiting for the write lock, look again every millisecond: SQLite's own waits grow to
        // 25-100 ms, longer than the transaction of ingest a moderator waits behind.
        let tries = max(1, Int(busyTimeout * 1000))
        config.busyMode = .callback { n in
            usleep(1000)
            return n < tries
        }
        config.label = "rounds"
        config.prepareDatabase { db in
            // FULL: a moderator's acknowledged action survives power loss, not only a crash.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            // Statement journals (each insert that fires a trigger opens one) stay in memory:
            // as temp files they were four page writes per ingested message.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        do {
            // SQLite creates -wal and -shm with the database file's own mode (not the umask's).
            pool = try DatabasePool(path: path, configuration: config)
            if let notice = try Self.slowUpgrade(pool, path: path) { upgradeNotice(notice) }
            try Schema.migrator.migrate(pool)
            try pool.writeWithoutTransaction { db in
                // Again: opening a pool, GRDB sets the writer to NORMAL after `prepareDatabase`.
                try db.execute(sql: "PRAGMA synchronous = FULL")
                // The writer keeps hot index pages in memory (grows only as pages are touched)
                // and checkpoints in larger steps, so bulk ingest rewrites fewer pages.
                try db.execute(sql: "PRAGMA cache_size = -32768")
                try db.execute(sql: "PRAGMA wal_autocheckpoint = 4000")
            }
        } catch let error as DatabaseError {
            throw StoreError.cannotOpen(path: path, reason: error.message ?? "\(error)")
        }
        try Self.tightenCompanionFiles(of: path)
    }

    /// Upgrading a large inbox rebuilds indexes: what to tell the user first, so that a silent
    /// console is not taken for a hung one, with the time the migrations still to run took
    /// on a million messages here (`Schema.secondsPerMillion`).
    static func slowUpgrade(_ pool: DatabasePool, path: String, above messages: Int64 = 50_000) throws -> String? {
        try pool.read { db in
            guard try db.tableExists("message"), try !Schema.migrator.hasCompletedMigrations(db),
                  let n = try Int64.fetchOne(db, sql: "SELECT max(id) FROM message"), n > messages else { return nil }
            let applied = try Schema.migrator.appliedIdentifiers(db)
            let seconds = Schema.secondsPerMillion.filter { !applied.contains($0.key) }.values.reduce(0, +)
            let time = seconds > 0 ? "about \(seconds) s per million messages" : "a few seconds per million messages"
            return "upgrading \(path) to schema v\(Schema.migrator.migrations.count): once, \(time)"
        }
    }

    /// Creates a missing database file with group-only permissions; refuses world-readable ones,
    /// and companion files (-wal, -shm) that are not regular files (a link would send the
    /// inbox's pages elsewhere).
    static func prepareFile(at path: String) throws {
        for suffix in ["-wal", "-shm"] {
            do { try SafeFiles.checkTarget(path + suffix) } catch let e as FileError {
                throw StoreError.cannotOpen(path: path, reason: e.description)
            }
        }
        let fm = FileManager.default
        if fm.fileExists(atPath: path) {
            let attrs = try? fm.attributesOfItem(atPath: path)
            let mode = (attrs?[.posixPermissions] as? NSNumber)?.uint16Value ?? 0
            if mode & 0o007 != 0 {
                throw StoreError.worldReadable(path: path, mode: mode)
            }
            return
        }
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty, !fm.fileExists(atPath: dir) {
            throw StoreError.cannotOpen(path: path, reason: "the folder \(dir) does not exist")
        }
        let fd = open(path, O_CREAT | O_EXCL | O_RDWR, 0o660)
        guard fd >= 0 else {
            throw StoreError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        fchmod(fd, 0o660)
        close(fd)
    }

    /// SQLite gives -wal and -shm the main file's mode; make sure no "other" bits slipped in.
    static func tightenCompanionFiles(of path: String) throws {
        for suffix in ["-wal", "-shm"] {
            let p = path + suffix
            // Through an O_PATH descriptor that does not follow links, so never another file's
            // mode. Not an ordinary descriptor: closing one would drop every POSIX lock this
            // process holds on the file, SQLite's on -shm included (then another process
            // truncates it under our mapping: SIGBUS). An O_PATH descriptor holds no locks.
            let fd = open(p, 0o10000000 /* O_PATH */ | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var st = stat()
            if fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_mode & 0o007 != 0 {
                chmod("/proc/self/fd/\(fd)", mode_t(st.st_mode & 0o770))
            }
        }
    }

    /// The schema version this file is at (the number of applied migrations).
    public func schemaVersion() throws -> Int {
        try pool.read { db in try Schema.migrator.appliedIdentifiers(db).count }
    }

    /// A value that changes whenever any process, this one included, commits to the file.
    ///
    /// `PRAGMA data_version` is per connection and ignores that connection's own commits,
    /// so it is read on the single writer connection and combined with its change count.
    public func changeToken() throws -> Int64 {
        try pool.writeWithoutTransaction { db in
            let row = try Row.fetchOne(db, sql: "SELECT (SELECT data_version FROM pragma_data_version()), total_changes()")
            let version: Int64 = row?[0] ?? 0
            let changes: Int64 = row?[1] ?? 0
            return version &* 1_000_003 &+ changes
        }
    }

    /// Bulk ingest checkpoints by itself, between transactions (`checkpointPassive`), so that a
    /// commit never also copies the WAL back: a write transaction then holds the lock only
    /// for its own pages. Pass `true` to return to SQLite's automatic checkpoints.
    public func automaticCheckpoints(_ on: Bool) throws {
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(on ? 4000 : 0)")
        }
    }

    /// Copies what it can of the WAL into the database without waiting for readers.
    public func checkpointPassive() throws {
        try pool.writeWithoutTransaction(Self.checkpointPassive)
    }

    static func checkpointPassive(_ db: Database) throws {
        _ = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)")
    }

    /// A second connection to this inbox that only checkpoints, for a thread of its own.
    public func makeCheckpointer() throws -> Checkpointer { try Checkpointer(path: path) }

    /// Truncates the WAL so it does not grow without bound under continuous ingest.
    public func checkpoint() throws {
        try pool.writeWithoutTransaction { db in
            _ = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
    }
}

/// Errors a user can hit when opening or using the store, worded for the user.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case worldReadable(path: String, mode: UInt16)
    case cannotSync(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "cannot open the inbox \(path): \(reason). Check the path given with --db or ROUNDS_DB."
        case let .worldReadable(path, mode):
            return "refusing to open \(path): it is readable by every user on this machine (mode \(String(mode, radix: 8))) and holds patient information. Run: chmod o-rwx '\(path)'"
        case let .cannotSync(path, reason):
            return "cannot write \(path) through to the disk: \(reason). What was stored may not survive a power loss; check the disk (space, errors in dmesg) and run the same command again."
        }
    }
}

/// Copies the WAL back into the database on its own connection, so bulk ingest's writer does
/// not wait for the copy and the database file's fsync (a fifth of its time). A passive
/// checkpoint takes no lock that writers or readers wait for.
public final class Checkpointer: Sendable {
    private let queue: DatabaseQueue

    init(path: String) throws {
        var config = Configuration()
        config.label = "rounds.checkpoint"
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        queue = try DatabaseQueue(path: path, configuration: config)
    }

    /// Copies what it can of the WAL into the database without waiting for anyone.
    public func checkpointPassive() throws {
        try queue.writeWithoutTransaction(InboxDatabase.checkpointPassive)
    }
}
