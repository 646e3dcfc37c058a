import Foundation
import Store

/// Where the export goes: a new owner-only file (hashed as it is written), or standard output.
public struct ExportSink {
    private let handle: FileHandle
    private var digest: InboxDigest.Stream? // only for a file: its .sha256
    private var buffer: [UInt8] = []

    public init(file: String) throws {
        let fd = open(file, O_CREAT | O_TRUNC | O_WRONLY, 0o600)
        guard fd >= 0 else { throw OutputError("cannot write \(file): \(String(cString: strerror(errno)))") }
        fchmod(fd, 0o600)
        handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        digest = InboxDigest.Stream()
    }

    private init(handle: FileHandle) { self.handle = handle }
    public static func standardOutput() -> ExportSink { ExportSink(handle: .standardOutput) }

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
        digest?.update(buffer)
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes; the SHA-256 of what was written to a file.
    public mutating func finish() throws -> String? {
        flush()
        return digest?.finalize()
    }
}

/// A file that could not be written, worded for the user.
public struct OutputError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
