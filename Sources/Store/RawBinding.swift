import GRDB
import GRDBSQLite

/// Binds and runs a prepared statement through SQLite's C API.
///
/// Only for ingest's per-message inserts: building GRDB `StatementArguments` boxed each of
/// its 25 values, which cost more than SQLite's own work. Runs inside GRDB's transaction.
/// Every use binds every parameter, in order, so earlier bindings are never cleared.
struct RawBinding {
    let statement: OpaquePointer
    let connection: OpaquePointer
    let arena: BindingArena?
    private var index: Int32 = 0
    /// SQLITE_STATIC: SQLite uses the bytes where they are, in the arena.
    private static let inPlace = unsafeBitCast(0, to: sqlite3_destructor_type.self)
    /// SQLITE_TRANSIENT: SQLite copies them.
    private static let copied = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Starts binding every parameter of `statement` again. With an arena, text is copied
    /// there and this overwrites it: text the statement, or another, was bound to earlier is
    /// stale from here (each is bound again in full before it runs).
    init(_ statement: Statement, _ db: Database, arena: BindingArena? = nil) {
        self.statement = statement.sqliteStatement
        self.connection = db.sqliteConnection!
        self.arena = arena
        sqlite3_reset(self.statement)
        arena?.reset()
    }

    mutating func text(_ value: String?) {
        index += 1
        guard let value else { sqlite3_bind_null(statement, index); return }
        var v = value
        let (statement, index, arena) = (self.statement, self.index, self.arena)
        v.withUTF8 { buf in
            if let arena {
                _ = sqlite3_bind_text(statement, index, arena.copy(buf), Int32(buf.count), Self.inPlace)
            } else if let base = buf.baseAddress, buf.count > 0 {
                _ = base.withMemoryRebound(to: CChar.self, capacity: buf.count) {
                    sqlite3_bind_text(statement, index, $0, Int32(buf.count), Self.copied)
                }
            } else {
                _ = sqlite3_bind_text(statement, index, "", 0, Self.copied)
            }
        }
    }

    mutating func int(_ value: Int64?) {
        index += 1
        guard let value else { sqlite3_bind_null(statement, index); return }
        sqlite3_bind_int64(statement, index, value)
    }

    mutating func bool(_ value: Bool) { int(value ? 1 : 0) }

    mutating func double(_ value: Double) {
        index += 1
        sqlite3_bind_double(statement, index, value)
    }

    /// Runs the statement; the number of rows it changed.
    func run() throws -> Int32 {
        let rc = sqlite3_step(statement)
        defer { sqlite3_reset(statement) }
        guard rc == SQLITE_DONE || rc == SQLITE_ROW else {
            throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(connection)))
        }
        return sqlite3_changes(connection)
    }
}

/// Memory for the text a statement is bound to, kept until the next binding starts. SQLite
/// otherwise copies each text into a malloc of its own (SQLITE_TRANSIENT) and frees it at the
/// next binding, a large share of the ingest writer's work. A small Swift string cannot be
/// bound in place instead: its bytes live inside the `String` value, only for the closure.
final class BindingArena {
    private var chunks: [UnsafeMutableRawBufferPointer] = []
    private var large: [UnsafeMutableRawBufferPointer] = []
    private var chunk = 0
    private var used = 0
    private static let chunkSize = 64 * 1024

    deinit { reset(); for c in chunks { c.deallocate() } }

    /// Forgets every copy; the memory is reused.
    func reset() {
        for l in large { l.deallocate() }
        large.removeAll(keepingCapacity: true)
        chunk = 0
        used = 0
    }

    /// A copy of `bytes` that stays put until `reset` (never a null pointer, even when empty).
    func copy(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafePointer<CChar> {
        let n = bytes.count
        let target: UnsafeMutableRawPointer
        if n > Self.chunkSize / 4 {
            let block = UnsafeMutableRawBufferPointer.allocate(byteCount: max(n, 1), alignment: 1)
            large.append(block)
            target = block.baseAddress!
        } else {
            if chunk < chunks.count && used + n > Self.chunkSize { chunk += 1; used = 0 }
            if chunk == chunks.count { chunks.append(.allocate(byteCount: Self.chunkSize, alignment: 1)) }
            target = chunks[chunk].baseAddress! + used
            used += n
        }
        if let base = bytes.baseAddress, n > 0 { target.copyMemory(from: base, byteCount: n) }
        return UnsafePointer(target.assumingMemoryBound(to: CChar.self))
    }
}
