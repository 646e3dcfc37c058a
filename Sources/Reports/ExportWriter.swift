import Foundation
import InboxModel
import Store

/// The export's file formats.
public enum ExportFormat: String, CaseIterable, Sendable { case csv, json, jsonl }

/// Formats export rows as CSV (RFC 4180, spreadsheet formulas neutralised), JSON or JSON Lines
/// (every control character escaped). Text from the internet is never written raw.

public struct ExportWriter {
    public let format: ExportFormat
    public let includeText: Bool
    public private(set) var count = 0

    public init(format: ExportFormat, includeText: Bool) {
        self.format = format
        self.includeText = includeText
    }

    var columns: [String] {
        ["event_id", "time", "moderator", "role", "action", "reason_code", "platform", "external_id", "kind",
         "flags", "template_id", "reply_text", "response_seconds", "delivery", "delivered_at", "platform_ref"] + (includeText ? ["message_text", "author_handle", "author_name"] : [])
    }

    /// The row's cells in the order of `columns`, one by one (no array per row: the export's
    /// hot path).
    func forEachValue(_ r: ExportRow, _ body: (String?) -> Void) {
        body(String(r.eventID)); body(Self.isoUTC(r.at)); body(r.moderator); body(r.role); body(r.action)
        body(r.reasonCode); body(r.platform); body(r.externalID); body(r.kind); body(r.flags); body(r.templateID)
        body(r.replyText); body(r.responseSeconds.map(String.init))
        body(r.delivery); body(r.deliveredAt.map(Self.isoUTC)); body(r.platformRef)
        if includeText { body(r.messageText); body(r.authorHandle); body(r.authorName) }
    }

    func values(_ r: ExportRow) -> [String?] {
        var v: [String?] = []
        forEachValue(r) { v.append($0) }
        return v
    }

    /// `2026-11-29T08:30:00Z`, without a formatter object per row (the export's hot path).
    static func isoUTC(_ date: Date) -> String {
        UTCTime.iso(Int64(date.timeIntervalSince1970.rounded(.down)))
    }

    public func header() -> String {
        switch format {
        case .csv: return columns.map(Self.csvCell).joined(separator: ",") + "\r\n"
        case .json: return "[\n"
        case .jsonl: return ""
        }
    }

    /// Appends one row's bytes to `out`. CSV is written without a `String` per row (the
    /// strings appended cell by cell were a fifth of an export's instructions).
    public mutating func appendRow(_ r: ExportRow, to out: inout [UInt8]) {
        guard format == .csv else { return out.append(contentsOf: jsonRow(r).utf8) }
        count += 1
        var first = true
        forEachValue(r) { cell in
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            if let cell { out.append(contentsOf: Self.isPlain(cell) ? cell.utf8 : Self.csvCell(cell).utf8) }
        }
        out.append(0x0D)
        out.append(0x0A)
    }

    /// One row as a JSON object: an element of the `.json` array, or a `.jsonl` line.
    private mutating func jsonRow(_ r: ExportRow) -> String {
        defer { count += 1 }
        var fields: [String] = []
        for (k, value) in zip(columns, values(r)) {
            let isNumber = (k == "event_id" || k == "response_seconds") && value != nil
            fields.append("\"\(k)\": " + (value.map { isNumber ? $0 : Self.jsonString($0) } ?? "null"))
        }
        let object = "{" + fields.joined(separator: ", ") + "}"
        if format == .jsonl { return object + "\n" }
        return (count == 0 ? "  " : ",\n  ") + object
    }

    public func footer() -> String { format == .json ? (count == 0 ? "]\n" : "\n]\n") : "" }

    /// RFC 4180 quoting; a cell a spreadsheet would run as a formula (leading = + - @ TAB CR)
    /// gets a leading apostrophe. Unsafe characters (`UntrustedText`) become their visible
    /// placeholders, except the line breaks and tabs a quoted cell holds as data.
    public static func csvCell(_ s: String) -> String {
        if isPlain(s) { return s }
        if s.isEmpty { return s }
        var cell = String(String.UnicodeScalarView(s.unicodeScalars.flatMap { u -> [Unicode.Scalar] in
            if u == "\n" || u == "\r" || u == "\t" { return [u] }
            return UntrustedText.placeholder(for: u).map { Array($0.unicodeScalars) } ?? [u]
        }))
        if let first = cell.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(Character(first)) {
            cell = "'" + cell
        }
        if cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) || cell != cell.trimmingCharacters(in: .whitespaces) {
            return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return cell
    }

    /// Plain printable ASCII that needs neither quoting nor neutralising: the export's fast
    /// path, one loop over the bytes in place (the generic `utf8.allSatisfy` and a `contains`
    /// on a string literal per cell were a sixth of the export's instructions).
    static func isPlain(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { b in
            guard let first = b.first, let last = b.last, first != 0x20, last != 0x20 else { return false }
            switch first {
            case UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 0x09, 0x0D: return false
            default: break
            }
            for c in b where c < 0x20 || c >= 0x7F || c == UInt8(ascii: ",") || c == UInt8(ascii: "\"") { return false }
            return true
        }
    }

    /// A JSON string with every control character, DEL, C1, bidi and line separators escaped.
    static func jsonString(_ s: String) -> String { String.jsonQuoted(s) }
}

