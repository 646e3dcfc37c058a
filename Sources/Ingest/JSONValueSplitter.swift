import Foundation

/// Cuts a JSON document into its top-level records without decoding it: the elements of
/// a top-level array, or each top-level value (one payload, or several concatenated).
///
/// Works chunk by chunk, so a 1 GB array of payloads needs no more memory than its
/// largest element. Each record comes with the line it starts on.
struct JSONValueSplitter {
    struct Record {
        var line: Int
        var bytes: Data
        /// Set when the input ended inside this record.
        var truncated: Bool
    }

    private let source: ByteSource
    private var chunk: [UInt8] = []
    private var index = 0
    private var line = 1
    private var sawFirstValue = false
    private var insideTopArray = false
    // The record being read.
    private var current: Data?
    private var begin = 0
    private var recordLine = 0
    private var depth = 0
    private var inString = false
    private var escaped = false
    private var scalar = false

    init(_ source: ByteSource) { self.source = source }

    /// The next top-level record, or nil at the end of the input.
    mutating func next() throws -> Record? {
        while true {
            if index >= chunk.count {
                if current != nil, begin < chunk.count { current!.append(contentsOf: chunk[begin...]) }
                begin = 0
                guard let more = try source.next() else {
                    guard let c = current else { return nil }
                    current = nil
                    // A bare scalar may end at the end of input; an object or array must close.
                    return Record(line: recordLine, bytes: c, truncated: !scalar || inString)
                }
                chunk = [UInt8](more)
                index = 0
            }
            if let r = scan() { return r }
        }
    }

    private mutating func scan() -> Record? {
        while index < chunk.count {
            let b = chunk[index]
            if current == nil {
                // Between records: skip blanks, commas, a byte-order mark and the top array's brackets.
                switch b {
                case 10: line += 1; index += 1; continue
                case 32, 9, 13, 44: index += 1; continue
                case 0xEF where !sawFirstValue, 0xBB where !sawFirstValue, 0xBF where !sawFirstValue:
                    index += 1; continue
                case 91 where !sawFirstValue:
                    insideTopArray = true; sawFirstValue = true; index += 1; continue
                case 93 where insideTopArray:
                    insideTopArray = false; index += 1; continue
                default:
                    sawFirstValue = true
                    current = Data()
                    begin = index
                    recordLine = line
                    scalar = !(b == 123 || b == 91)
                    depth = 0
                    inString = false
                    escaped = false
                }
            }
            if inString {
                if escaped { escaped = false }
                else if b == 92 { escaped = true }
                else if b == 34 { inString = false }
            } else {
                switch b {
                case 34:
                    inString = true
                case 123, 91:
                    depth += 1
                case 125, 93:
                    // "]" closes the list; a stray "}" or "]" where a record starts is a record of its own.
                    if scalar && depth == 0 { return finish(at: index == begin && current?.isEmpty != false ? index + 1 : index) }
                    depth -= 1
                case 44, 32, 9, 13, 10:
                    if scalar && depth == 0 { return finish(at: index) }
                default:
                    break
                }
            }
            if b == 10 { line += 1 }
            index += 1
            if !scalar && depth == 0 && !inString { return finish(at: index) }
        }
        return nil
    }

    private mutating func finish(at end: Int) -> Record {
        var data = current ?? Data()
        data.append(contentsOf: chunk[begin..<end])
        current = nil
        index = end
        return Record(line: recordLine, bytes: data, truncated: false)
    }
}
