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
    private var index: Int32 = 0
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ statement: Statement, _ db: Database) {
        self.statement = statement.sqliteStatement
        self.connection = db.sqliteConnection!
        sqlite3_reset(self.statement)
    }

    mutating func text(_ value: String?) {
        index += 1
        guard let value else { sqlite3_bind_null(statement, index); return }
        var v = value
        let (statement, index) = (self.statement, self.index)
        v.withUTF8 { buf in
            guard let base = buf.baseAddress, buf.count > 0 else {
                _ = sqlite3_bind_text(statement, index, "", 0, Self.transient)
                return
            }
            _ = base.withMemoryRebound(to: CChar.self, capacity: buf.count) {
                sqlite3_bind_text(statement, index, $0, Int32(buf.count), Self.transient)
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
