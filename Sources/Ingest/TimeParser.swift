import Foundation

/// Reads the time formats platforms send, without DateFormatter (slow and locale-bound).
public enum TimeParser {
    /// Unix seconds or milliseconds, told apart by size (ms timestamps are > 10^11).
    static func epoch(_ value: Double) -> Date {
        value > 1e11 ? Date(timeIntervalSince1970: value / 1000) : Date(timeIntervalSince1970: value)
    }

    /// Years 1 to 9999: what the store can hold in Unix milliseconds (a number like 1e300 was a
    /// crash when stored).
    static func isPlausible(_ d: Date) -> Bool {
        let t = d.timeIntervalSince1970
        return t.isFinite && abs(t) < 253_402_300_800
    }

    /// ISO 8601 / RFC 3339 with a time zone: `2026-11-29T08:30:00Z`, `...08:30:00.123Z`,
    /// `...08:30:00+0000`, `...08:30:00-05:00`, `...08:30-05`, a space instead of `T`; or digits
    /// only (epoch). Nil for anything else: impossible dates (`2026-02-30`), malformed offsets
    /// (`+05:`), and a date or time without a zone, whose instant would be a guess.
    public static func parse(_ text: String) -> Date? {
        if case .success(let d) = read(text) { return d }
        return nil
    }

    /// `parse`, or why the text is not a time (for the rejected record's reason).
    public static func read(_ text: String) -> Result<Date, TimeError> {
        var text = text
        return text.withUTF8 { bytes in
            var lo = 0, hi = bytes.count
            while hi > lo, bytes[hi - 1] == 32 || bytes[hi - 1] == 9 { hi -= 1 }
            while lo < hi, bytes[lo] == 32 || bytes[lo] == 9 { lo += 1 }
            return read(trimmed: UnsafeBufferPointer(rebasing: bytes[lo..<hi]))
        }
    }

    public struct TimeError: Error, CustomStringConvertible {
        public var description: String
        init(_ d: String) { description = d }
    }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// `read` on bytes without surrounding blanks (read in place: no copy per message).
    private static func read(trimmed s: UnsafeBufferPointer<UInt8>) -> Result<Date, TimeError> {
        let shape = TimeError("not a time (use ISO 8601 with a zone, e.g. 2026-11-29T08:30:00Z)")
        if s.isEmpty { return .failure(shape) }
        if s.allSatisfy({ $0 >= 48 && $0 <= 57 }), let v = Double(String(decoding: s, as: UTF8.self)) {
            let d = epoch(v)
            return isPlausible(d) ? .success(d) : .failure(TimeError("out of range"))
        }
        var i = 0
        func num(_ n: Int) -> Int? {
            guard i + n <= s.count else { return nil }
            var v = 0
            for k in 0..<n {
                let c = s[i + k]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            i += n
            return v
        }
        func eat(_ c: UInt8) -> Bool {
            if i < s.count && s[i] == c { i += 1; return true }
            return false
        }
        guard let year = num(4), eat(45), let month = num(2), eat(45), let day = num(2) else { return .failure(shape) }
        guard (1...12).contains(month) else { return .failure(TimeError("there is no month \(month)")) }
        guard (1...daysIn(month: month, year: year)).contains(day) else {
            return .failure(TimeError("there is no day \(day) in \(year)-\(month < 10 ? "0" : "")\(month)"))
        }
        guard i < s.count else { return .failure(TimeError("a date without a time and zone; give both, e.g. \(String(decoding: s, as: UTF8.self))T00:00:00Z")) }
        guard s[i] == 84 || s[i] == 116 || s[i] == 32 else { return .failure(shape) }
        i += 1
        guard let hour = num(2), eat(58), let minute = num(2) else { return .failure(shape) }
        guard hour < 24, minute < 60 else { return .failure(TimeError("there is no time \(hour):\(minute < 10 ? "0" : "")\(minute)")) }
        var second = 0
        var fraction = 0.0
        if eat(58) {
            guard let sec = num(2) else { return .failure(shape) }
            guard sec < 60 else { return .failure(TimeError("there is no second \(sec)")) }
            second = sec
            if eat(46) || eat(44) {
                var scale = 0.1
                let start = i
                while i < s.count, s[i] >= 48, s[i] <= 57 {
                    fraction += Double(s[i] - 48) * scale
                    scale /= 10
                    i += 1
                }
                guard i > start else { return .failure(shape) }
            }
        }
        let offset: Int
        if eat(90) || eat(122) {
            offset = 0
        } else if i < s.count && (s[i] == 43 || s[i] == 45) {
            let sign = s[i] == 45 ? -1 : 1
            i += 1
            // +hh, +hhmm or +hh:mm; a colon must be followed by the minutes.
            guard let oh = num(2) else { return .failure(TimeError("malformed time zone offset")) }
            var om = 0
            if eat(58) {
                guard let m = num(2) else { return .failure(TimeError("malformed time zone offset")) }
                om = m
            } else if i < s.count {
                guard let m = num(2) else { return .failure(TimeError("malformed time zone offset")) }
                om = m
            }
            guard oh <= 23, om < 60 else { return .failure(TimeError("malformed time zone offset")) }
            offset = sign * (oh * 3600 + om * 60)
        } else if i == s.count {
            return .failure(TimeError("a time without a zone; add Z or an offset such as -05:00"))
        } else {
            return .failure(shape)
        }
        guard i == s.count else { return .failure(shape) }
        // Days from civil (Howard Hinnant's algorithm): exact, no calendar objects.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146097 + doe - 719468
        let seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset
        return .success(Date(timeIntervalSince1970: Double(seconds) + fraction))
    }
}
