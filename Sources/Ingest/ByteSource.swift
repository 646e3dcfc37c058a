import Foundation

/// Reads a file or standard input in chunks of at most `chunkSize`, so memory stays flat
/// however large the input is. A chunk is whatever one `read` returns: from a pipe that stays
/// open (`tail -f ... | rounds ingest -`) the lines that have arrived are read at once, not
/// after a whole chunk has filled.
class ByteSource {
    let handle: FileHandle?
    private let chunkSize: Int
    private var inMemory: Data?
    private(set) var reachedEnd = false

    init(handle: FileHandle, chunkSize: Int = 1 << 20) {
        self.handle = handle
        self.chunkSize = chunkSize
    }

    /// Bytes already in memory (a webhook body), as one chunk.
    init(data: Data) {
        handle = nil
        chunkSize = data.count
        inMemory = data
    }

    /// The next chunk, or nil at the end of the input.
    func next() throws -> Data? {
        if reachedEnd { return nil }
        guard let handle else {
            reachedEnd = true
            defer { inMemory = nil }
            return inMemory.flatMap { $0.isEmpty ? nil : $0 }
        }
        var data = Data(count: chunkSize)
        var n = 0
        repeat {
            n = data.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, chunkSize) }
        } while n < 0 && errno == EINTR
        if n < 0 { throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: String(cString: strerror(errno))]) }
        if n == 0 {
            reachedEnd = true
            return nil
        }
        data.count = n
        return data
    }
}

/// Splits a byte stream into lines (LF or CRLF), numbering them from 1.
struct LineSplitter {
    private let source: ByteSource
    private var buffer: [UInt8] = []
    private var start = 0
    /// Where to resume looking for a line feed: bytes before it hold none.
    private var scanned = 0
    private(set) var lineNumber = 0

    init(_ source: ByteSource) { self.source = source }

    /// The next line without its terminator, or nil at the end.
    mutating func next() throws -> (line: Int, bytes: Data)? {
        while true {
            if let nl = findNewline() {
                var end = nl
                if end > start, buffer[end - 1] == 13 { end -= 1 }
                let line = Data(buffer[start..<end])
                start = nl + 1
                scanned = start
                lineNumber += 1
                return (lineNumber, line)
            }
            scanned = buffer.count
            guard let chunk = try source.next() else {
                if start >= buffer.count { return nil }
                let line = Data(buffer[start...])
                buffer.removeAll()
                start = 0
                scanned = 0
                lineNumber += 1
                return (lineNumber, line)
            }
            // Keep only the unfinished tail before appending more.
            if start > 0 {
                buffer.removeSubrange(0..<start)
                scanned -= start
                start = 0
            }
            buffer.append(contentsOf: chunk)
        }
    }

    private func findNewline() -> Int? {
        guard scanned < buffer.count else { return nil }
        return buffer.withUnsafeBufferPointer { p -> Int? in
            guard let base = p.baseAddress,
                  let hit = memchr(base + scanned, 10, p.count - scanned) else { return nil }
            return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
        }
    }
}
