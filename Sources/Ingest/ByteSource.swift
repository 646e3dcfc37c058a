import Foundation

/// Reads a file or standard input in fixed-size chunks, so memory stays flat however
/// large the input is.
class ByteSource {
    let handle: FileHandle
    private let chunkSize: Int
    private(set) var reachedEnd = false

    init(handle: FileHandle, chunkSize: Int = 1 << 20) {
        self.handle = handle
        self.chunkSize = chunkSize
    }

    /// The next chunk, or nil at the end of the input.
    func next() throws -> Data? {
        if reachedEnd { return nil }
        let data = try handle.read(upToCount: chunkSize) ?? Data()
        if data.isEmpty {
            reachedEnd = true
            return nil
        }
        return data
    }
}

/// Splits a byte stream into lines (LF or CRLF), numbering them from 1.
struct LineSplitter {
    private let source: ByteSource
    private var buffer = Data()
    private var start = 0
    private(set) var lineNumber = 0

    init(_ source: ByteSource) { self.source = source }

    /// The next line without its terminator, or nil at the end.
    mutating func next() throws -> (line: Int, bytes: Data)? {
        while true {
            if let nl = buffer[start...].firstIndex(of: 10) {
                var end = nl
                if end > start, buffer[end - 1] == 13 { end -= 1 }
                let line = buffer.subdata(in: start..<end)
                start = nl + 1
                lineNumber += 1
                return (lineNumber, line)
            }
            // Keep only the unfinished tail before reading more.
            if start > 0 {
                buffer.removeSubrange(buffer.startIndex..<start)
                buffer = Data(buffer)
                start = 0
            }
            guard let chunk = try source.next() else {
                if buffer.isEmpty { return nil }
                let line = buffer
                buffer = Data()
                start = 0
                lineNumber += 1
                return (lineNumber, line)
            }
            buffer.append(chunk)
        }
    }
}
