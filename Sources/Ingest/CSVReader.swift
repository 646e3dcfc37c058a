import Foundation

/// RFC 4180 CSV, read record by record from a byte stream: quoted fields may hold commas,
/// doubled quotes and line breaks. Each record comes with the line it starts on.
struct CSVReader {
    struct Record {
        var line: Int
        var fields: [String]
        var raw: Data
        var error: String?
    }

    private var lines: LineSplitter

    init(_ source: ByteSource) { lines = LineSplitter(source) }

    mutating func next() throws -> Record? {
        guard let first = try lines.next() else { return nil }
        var raw = first.bytes
        var fields: [String] = []
        var field: [UInt8] = []
        var inQuotes = false
        var afterQuote = false
        var strayAfterQuote: Int?  // the field whose closing quote has text after it
        var bytes = first.bytes
        while true {
            var i = bytes.startIndex
            while i < bytes.endIndex {
                let b = bytes[i]
                if inQuotes {
                    if b == 34 {
                        if i + 1 < bytes.endIndex && bytes[i + 1] == 34 { field.append(34); i += 1 }
                        else { inQuotes = false; afterQuote = true }
                    } else {
                        field.append(b)
                    }
                } else if b == 44 {
                    fields.append(String(decoding: field, as: UTF8.self))
                    field.removeAll(keepingCapacity: true)
                    afterQuote = false
                } else if b == 34 && field.isEmpty && !afterQuote {
                    inQuotes = true
                } else {
                    // RFC 4180: a closing quote ends the field; anything but a comma after it
                    // is malformed (joining it would store text nobody wrote that way).
                    if afterQuote && b != 13 && strayAfterQuote == nil { strayAfterQuote = fields.count + 1 }
                    field.append(b)
                }
                i += 1
            }
            if !inQuotes { break }
            // The quoted field goes on on the next line.
            guard let more = try lines.next() else {
                fields.append(String(decoding: field, as: UTF8.self))
                return Record(line: first.line, fields: fields, raw: raw, error: "a quoted field never closes (missing \")")
            }
            field.append(10)
            raw.append(10)
            raw.append(more.bytes)
            bytes = more.bytes
        }
        fields.append(String(decoding: field, as: UTF8.self))
        let error = strayAfterQuote.map { "field \($0) has text after its closing quote (a quote inside a quoted field is written \"\")" }
        return Record(line: first.line, fields: fields, raw: raw, error: error)
    }
}
