import Foundation
import InboxModel

/// The input formats `rounds ingest` accepts.
public enum InputFormat: String, CaseIterable, Sendable {
    case auto, jsonl, csv, meta, x, gbp
}

/// One thing read from the input.
public enum IngestItem: Sendable {
    case message(IncomingMessage)
    case rejected(RecordError)
    /// A well-formed event that carries no message (a read receipt, a reaction, an echo of
    /// our own reply): counted and reported, never silently dropped.
    case skipped(file: String, line: Int, reason: String)
}

/// Reads one input (a file or standard input) record by record and turns each record into
/// messages, rejections or skips. Streams: memory depends on the largest record only.
public struct IngestReader {
    public static let maxRecordBytes = 8 << 20

    let name: String
    let makeSource: () -> ByteSource
    let format: InputFormat
    let now: Date

    /// - Parameters:
    ///   - name: the file name used in messages and kept as each message's source.
    public init(name: String, handle: FileHandle, format: InputFormat, now: Date = Date()) {
        self.name = name
        makeSource = { ByteSource(handle: handle) }
        self.format = format
        self.now = now
    }

    /// Reads bytes already in memory (a webhook body or a polled page) named `name`.
    public init(name: String, data: Data, format: InputFormat, now: Date = Date()) {
        self.name = name
        makeSource = { ByteSource(data: data) }
        self.format = format
        self.now = now
    }

    /// Calls `body` for every item in input order. Throws only for an unreadable input.
    public func read(_ body: (IngestItem) throws -> Void) throws {
        let source = makeSource()
        guard let firstChunk = try source.next() else {
            return // empty input: nothing to do, the caller reports it
        }
        let prefixed = PrefixedSource(first: firstChunk, rest: source)
        let layout = Self.layout(of: firstChunk, format: format)
        switch layout {
        case .csv:
            try readCSV(prefixed.source, body)
        case .jsonLines:
            var lines = LineSplitter(prefixed.source)
            while let (line, bytes) = try lines.next() {
                if bytes.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
                try decodeJSONRecord(bytes, line: line, body)
            }
        case .jsonDocument:
            var splitter = JSONValueSplitter(prefixed.source)
            while let record = try splitter.next() {
                if record.truncated {
                    try body(.rejected(RecordError(file: name, line: record.line, reason: "truncated JSON: the record starting here never closes (the file ends inside it)", raw: record.bytes)))
                    continue
                }
                try decodeJSONRecord(record.bytes, line: record.line, body)
            }
        case .unknown(let reason):
            // Keep the whole input as one rejected record so nothing is lost.
            var data = firstChunk
            while data.count < Self.maxRecordBytes, let more = try source.next() { data.append(more) }
            try body(.rejected(RecordError(file: name, line: 1, reason: reason, raw: data)))
        }
    }

    enum Layout: Equatable {
        case jsonLines, jsonDocument, csv
        case unknown(String)
    }

    /// Tells JSON Lines from one (pretty-printed) JSON document from CSV, by the first bytes.
    static func layout(of first: Data, format: InputFormat) -> Layout {
        if format == .csv { return .csv }
        var bytes = first[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        guard let firstByte = bytes.first(where: { ![32, 9, 13, 10].contains($0) }) else {
            return format == .jsonl ? .jsonLines : .jsonDocument
        }
        if firstByte == 91 { // "[": an array of payloads, unless it is the first line of JSON Lines
            if format == .jsonl { return .jsonLines }
            let firstLine = bytes.prefix { $0 != 10 }
            if (try? JSONSerialization.jsonObject(with: Data(firstLine), options: [.fragmentsAllowed])) != nil, Self.nextLineIsJSONObject(bytes) { return .jsonLines }
            return .jsonDocument
        }
        if firstByte == 123 {
            // JSON Lines when the first line is a complete JSON value on its own.
            let firstLine = bytes.prefix { $0 != 10 }
            if (try? JSONSerialization.jsonObject(with: Data(firstLine))) != nil { return .jsonLines }
            if format == .jsonl { return .jsonLines }
            if firstLine.count == bytes.count && bytes.count >= Self.maxRecordBytes { return .jsonLines } // one huge line
            if Self.nextLineIsJSONObject(bytes) { return .jsonLines } // a broken first record must not take the file with it
            return .jsonDocument
        }
        if format == .jsonl { return .jsonLines }
        if format == .auto, let header = String(data: Data(bytes.prefix { $0 != 10 }), encoding: .utf8) {
            let columns = Set(header.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \"\r")).lowercased() })
            if columns.contains("text") && (columns.contains("platform") || columns.contains("id")) { return .csv }
        }
        if Self.nextLineIsJSONObject(bytes) { return .jsonLines }
        let sample = bytes.prefix(16).map { String(format: "%02x", $0) }.joined(separator: " ")
        return .unknown("unrecognised input: not JSON, JSON Lines or CSV with a header row (first bytes: \(sample)). Use --format to say what it is")
    }

    /// True when the lines after the first non-blank one look like JSON Lines: two of the next
    /// thirty are complete JSON objects by themselves (inside a document two such lines would
    /// need a comma between them), or one is and the first line does not end like the start of
    /// a pretty-printed document (`{`, `[`, `,` or `:`). So a damaged first line, or several,
    /// does not make the file one document that the first broken record swallows.
    static func nextLineIsJSONObject(_ bytes: Data.SubSequence) -> Bool {
        let blank: (UInt8) -> Bool = { $0 == 32 || $0 == 9 || $0 == 13 }
        var lines = bytes.split(separator: 10, maxSplits: 31, omittingEmptySubsequences: true).filter { !$0.allSatisfy(blank) }
        guard lines.count >= 2 else { return false }
        if bytes.last != 10 || lines.count == 32 { lines.removeLast() } // the last piece may be cut
        var objects = 0
        for line in lines.dropFirst() where line.first(where: { !blank($0) }) == 123 && line.last(where: { !blank($0) }) == 125 {
            if (try? JSONSerialization.jsonObject(with: Data(line))) is [String: Any] { objects += 1 }
            if objects >= 2 { return true }
        }
        guard objects == 1 else { return false }
        if let end = lines[0].last(where: { !blank($0) }), [123, 91, 44, 58].contains(end) { return false }
        return true
    }

    private func readCSV(_ source: ByteSource, _ body: (IngestItem) throws -> Void) throws {
        var reader = CSVReader(source)
        guard let header = try reader.next() else { return }
        var columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if let first = columns.first, first.hasPrefix("\u{FEFF}") { columns[0] = String(first.dropFirst()) }
        let missing = ["platform", "id", "text"].filter { !columns.contains($0) }
        if !missing.isEmpty {
            try body(.rejected(RecordError(file: name, line: header.line, reason: "CSV header lacks the column(s) \(missing.joined(separator: ", ")); expected \(NativeRecord.fields.joined(separator: ","))", raw: header.raw)))
            while let r = try reader.next() {
                try body(.rejected(RecordError(file: name, line: r.line, reason: "row not read: the CSV header is incomplete", raw: r.raw)))
            }
            return
        }
        while let r = try reader.next() {
            let (rawText, invalid) = Self.text(r.raw)
            if r.fields.count == 1 && r.fields[0].trimmingCharacters(in: .whitespaces).isEmpty { continue }
            if let error = r.error {
                try body(.rejected(RecordError(file: name, line: r.line, reason: error, raw: r.raw)))
                continue
            }
            if r.fields.count != columns.count {
                try body(.rejected(RecordError(file: name, line: r.line, reason: "row has \(r.fields.count) fields, the header has \(columns.count)", raw: r.raw)))
                continue
            }
            var row: [String: String] = [:]
            for (c, v) in zip(columns, r.fields) { row[c] = v }
            do {
                var m = try NativeRecord.message(from: NativeRecord.fields(fromCSV: row), raw: rawText, source: name, now: now)
                m.hadInvalidUTF8 = invalid
                try body(.message(m))
            } catch let e as FieldError {
                try body(.rejected(RecordError(file: name, line: r.line, location: e.location, reason: e.reason, raw: r.raw)))
            }
        }
    }

    /// The record's text, with invalid UTF-8 replaced by U+FFFD (and whether it was).
    /// The offset of the first NUL byte. `memchr`, not `Data.firstIndex(of:)`, which pays an
    /// exclusivity check per byte (a third of the parser's time on a 250-byte record).
    static func firstNUL(in bytes: Data) -> Int? {
        bytes.withUnsafeBytes { raw -> Int? in
            guard let base = raw.baseAddress, let hit = memchr(base, 0, raw.count) else { return nil }
            return base.distance(to: UnsafeRawPointer(hit))
        }
    }

    static func text(_ bytes: Data) -> (String, Bool) {
        if let s = String(validating: bytes, as: UTF8.self) { return (s, false) }
        return (String(decoding: bytes, as: UTF8.self), true)
    }

    private func decodeJSONRecord(_ bytes: Data, line: Int, _ body: (IngestItem) throws -> Void) throws {
        func reject(_ reason: String, _ location: String? = nil) throws {
            try body(.rejected(RecordError(file: name, line: line, location: location, reason: reason, raw: bytes)))
        }
        if bytes.count > Self.maxRecordBytes {
            return try reject("record is \(bytes.count / (1 << 20)) MB, over the \(Self.maxRecordBytes >> 20) MB limit; it was kept, not ingested")
        }
        if let nul = Self.firstNUL(in: bytes) {
            return try reject("raw NUL byte at column \(nul + 1); JSON text must escape it as \\u0000")
        }
        let (text, invalidUTF8) = Self.text(bytes)
        let object: Any
        do {
            let json = invalidUTF8 ? Data(text.utf8) : bytes
            object = try FlatJSON.parse(json) ?? JSONSerialization.jsonObject(with: json, options: [.fragmentsAllowed])
        } catch {
            let detail = ((error as NSError).userInfo["NSDebugDescription"] as? String) ?? "\(error)"
            return try reject("invalid JSON: \(detail.replacingOccurrences(of: "character", with: "byte"))")
        }
        let record: JSONObject
        do {
            record = try JSONObject(any: object, path: "")
        } catch let e as FieldError {
            return try reject(e.reason)
        }
        var items: [IngestItem] = []
        let emit: (Result<IncomingMessage, FieldError>) -> Void = { result in
            switch result {
            case .success(var m):
                m.hadInvalidUTF8 = invalidUTF8
                items.append(.message(m))
            case .failure(let e):
                items.append(.rejected(RecordError(file: name, line: line, location: e.location, reason: e.reason, raw: bytes)))
            }
        }
        let skip: (String) -> Void = { items.append(.skipped(file: name, line: line, reason: $0)) }
        do {
            switch try adapter(for: record) {
            case .native:
                emit(.success(try NativeRecord.message(from: NativeRecord.fields(from: record), raw: text, source: name, now: now)))
            case .meta:
                try MetaWebhook.messages(from: record, emit: emit, skip: skip, raw: text, source: name)
            case .x:
                try XAPIv2.messages(from: record, emit: emit, skip: skip, raw: text, source: name)
            case .gbp:
                try GoogleReview.messages(from: record, emit: emit, skip: skip, raw: text, source: name)
            }
        } catch let e as FieldError {
            items.append(.rejected(RecordError(file: name, line: line, location: e.location, reason: e.reason, raw: bytes)))
        }
        for item in items { try body(item) }
    }

    enum Adapter { case native, meta, x, gbp }

    private func adapter(for o: JSONObject) throws -> Adapter {
        switch format {
        case .jsonl, .csv: return .native
        case .meta: return .meta
        case .x: return .x
        case .gbp: return .gbp
        case .auto:
            if MetaWebhook.matches(o) { return .meta }
            if o.has("platform") || o.has("text") && !o.has("data") { return .native }
            if XAPIv2.matches(o) { return .x }
            if GoogleReview.matches(o) { return .gbp }
            throw FieldError(location: "", reason: "unrecognised record: not a Rounds record (platform, kind, id, text), a Meta webhook (object, entry), an X API v2 body (data) or a Google review (reviewId, starRating)")
        }
    }
}

/// A byte source whose first chunk was already read (to detect the format).
private struct PrefixedSource {
    let source: ByteSource

    init(first: Data, rest: ByteSource) {
        source = ChainedByteSource(first: first, rest: rest)
    }
}

private final class ChainedByteSource: ByteSource {
    private var first: Data?
    private let rest: ByteSource

    init(first: Data, rest: ByteSource) {
        self.first = first
        self.rest = rest
        super.init(handle: FileHandle.nullDevice)
    }

    override func next() throws -> Data? {
        if let f = first {
            first = nil
            return f
        }
        return try rest.next()
    }
}
