import Foundation
import SafeFiles
import Store

/// Where an export or report goes: a new owner-only file (hashed as it is written, put in place only by
/// `commit`), standard output, or nowhere (the bench). A write error is kept and thrown by
/// `finish`: a full disk is an error message, never a crash.
public struct OutputSink {
    private enum Destination {
        case file(PendingFile)
        case standardOutput
        case nowhere(Int32)
    }

    private let destination: Destination
    private var digest = InboxDigest.Stream()
    private var buffer: [UInt8] = []
    private var failure: Error?

    /// A new file at `file`, created under a temporary name beside it (`PendingFile`).
    public init(file: String) throws { destination = .file(try PendingFile(file, mode: 0o600)) }
    private init(_ destination: Destination) { self.destination = destination }
    public static func standardOutput() -> OutputSink { OutputSink(.standardOutput) }
    /// Formats, hashes and writes everything to /dev/null: the export's own cost, for the bench.
    public static func discarding() -> OutputSink { OutputSink(.nowhere(open("/dev/null", O_WRONLY | O_CLOEXEC))) }

    public mutating func write(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        if buffer.count > 1 << 16 { flush() }
    }

    /// One export row, formatted by `writer` straight into the buffer.
    public mutating func write(_ row: ExportRow, with writer: inout ExportWriter) {
        writer.appendRow(row, to: &buffer)
        if buffer.count > 1 << 16 { flush() }
    }

    private mutating func flush() {
        defer { buffer.removeAll(keepingCapacity: true) }
        guard failure == nil else { return }
        digest.update(buffer)
        do {
            switch destination {
            case .file(let f): try f.write(buffer)
            case .standardOutput: try Self.writeAll(buffer, to: 1, name: "standard output")
            case .nowhere(let fd): try Self.writeAll(buffer, to: fd, name: "/dev/null")
            }
        } catch {
            failure = error
        }
    }

    /// Everything written and, for a file, synced to disk under its temporary name; the
    /// SHA-256 of the bytes. Throws the first write error.
    public mutating func finish() throws -> String {
        flush()
        if let failure { throw failure }
        if case .file(let f) = destination { try f.sync() }
        return digest.finalize()
    }

    /// Puts the file in place (after its record is committed).
    public func commit() throws { if case .file(let f) = destination { try f.commit() } }

    /// Removes the unfinished file; nothing appears at the final path.
    public func discard() {
        switch destination {
        case .file(let f): f.discard()
        case .nowhere(let fd): close(fd)
        case .standardOutput: break
        }
    }

    static func writeAll(_ bytes: [UInt8], to fd: Int32, name: String) throws {
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw FileError(name, "cannot write: \(String(cString: strerror(errno)))")
                }
                offset += n
            }
        }
    }
}
