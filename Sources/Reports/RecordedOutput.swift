import Foundation
import SafeFiles
import Store

/// An export or report whose existence must be on the record before anyone can read it.
///
/// To a file: the bytes are written complete and synced under a temporary name, then `record`
/// commits the audit event (with the file's SHA-256), then the file is renamed into place with
/// `FILE.sha256` beside it. A failure before the record leaves no file and no record; a
/// failure after it leaves no file and a second event saying so (`recordFailure`).
/// To standard output nothing can be held back, so the record comes first.
public enum RecordedOutput {
    /// Returns the SHA-256 of what was written (nil on standard output, whose record came first).
    @discardableResult
    public static func write(to path: String?, produce: (inout OutputSink) throws -> Void,
                             record: (_ sha256: String?) throws -> Void,
                             recordFailure: (_ reason: String) -> Void) throws -> String? {
        guard let path else {
            try record(nil)
            var sink = OutputSink.standardOutput()
            do {
                try produce(&sink)
                _ = try sink.finish()
            } catch {
                recordFailure("\(error)")
                throw error
            }
            return nil
        }
        // Both files are refused or created before any work: a link at FILE.sha256 stops it
        // as surely as one at FILE.
        let sum = try PendingFile(path + ".sha256", mode: 0o600)
        var sink: OutputSink
        do { sink = try OutputSink(file: path) } catch { sum.discard(); throw error }
        let digest: String
        do {
            try produce(&sink)
            digest = try sink.finish()
            try sum.write("\(digest)  \((path as NSString).lastPathComponent)\n")
            try sum.sync()
            try record(digest)
        } catch {
            sink.discard()
            sum.discard()
            throw error
        }
        var placed = false
        do {
            try sink.commit()
            placed = true
            try sum.commit()
        } catch {
            sink.discard()
            sum.discard()
            if placed { unlink(path) }  // no final file without its checksum
            recordFailure("\(error)")
            throw error
        }
        return digest
    }
}
