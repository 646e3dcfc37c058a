import ArgumentParser
import Foundation
import Ingest

/// `--date`, `--since` and `--until`, read strictly: an impossible day (`2026-02-30`) or a
/// malformed offset is a usage error (exit 2), never another day.
enum CommandTimes {
    /// `YYYY-MM-DD` as the start of that day in `zone`.
    static func day(_ text: String, option: String, zone: TimeZone) throws -> Date {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), y >= 1 else {
            throw ValidationError("\(option) '\(text)' is not a day; use YYYY-MM-DD")
        }
        guard (1...12).contains(m), (1...TimeParser.daysIn(month: m, year: y)).contains(d) else {
            throw ValidationError("\(option) '\(text)': there is no such day")
        }
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = zone
        guard let start = cal.date(from: DateComponents(year: y, month: m, day: d)) else {
            throw ValidationError("\(option) '\(text)' is not a day; use YYYY-MM-DD")
        }
        return start
    }

    /// A time with its zone (`2026-11-29T08:00:00Z`, `...-05:00`), or a day (`2026-11-29`,
    /// its start in `zone`).
    static func time(_ text: String, option: String, zone: TimeZone) throws -> Date {
        if text.count == 10 { return try day(text, option: option, zone: zone) }
        switch TimeParser.read(text) {
        case .success(let d): return d
        case .failure(let why): throw ValidationError("\(option) '\(text)': \(why)")
        }
    }

    /// The start of today in `zone`.
    static func today(zone: TimeZone) -> Date {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = zone
        return cal.startOfDay(for: Date())
    }

    /// The day after `start` in `zone` (23 or 25 hours across a daylight-saving change).
    static func nextDay(after start: Date, zone: TimeZone) -> Date {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = zone
        return cal.date(byAdding: .day, value: 1, to: start) ?? start.addingTimeInterval(86_400)
    }
}
