import Foundation

/// Reads the time formats platforms send, without DateFormatter (slow and locale-bound).
enum TimeParser {
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

    /// ISO 8601 / RFC 3339: `2026-11-29`, `2026-11-29T08:30:00Z`, `...08:30:00.123Z`,
    /// `...08:30:00+0000`, `...08:30:00-05:00`, a space instead of `T`; or digits only (epoch).
    static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { bytes in
            var lo = 0, hi = bytes.count
            while hi > lo, bytes[hi - 1] == 32 || bytes[hi - 1] == 9 { hi -= 1 }
            while lo < hi, bytes[lo] == 32 || bytes[lo] == 9 { lo += 1 }
            return parse(trimmed: UnsafeBufferPointer(rebasing: bytes[lo..<hi]))
        }
    }

    /// `parse` on bytes without surrounding blanks (read in place: no copy per message).
    private static func parse(trimmed s: UnsafeBufferPointer<UInt8>) -> Date? {
        if s.isEmpty { return nil }
        if s.allSatisfy({ $0 >= 48 && $0 <= 57 }), let v = Double(String(decoding: s, as: UTF8.self)) {
            let d = epoch(v)
            return isPlausible(d) ? d : nil
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
        guard let year = num(4), eat(45), let month = num(2), eat(45), let day = num(2),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        var hour = 0, minute = 0, second = 0
        var fraction = 0.0
        var offset = 0
        if i < s.count && (s[i] == 84 || s[i] == 116 || s[i] == 32) {
            i += 1
            guard let h = num(2), eat(58), let m = num(2), h < 24, m < 60 else { return nil }
            hour = h; minute = m
            if eat(58) {
                guard let sec = num(2), sec <= 60 else { return nil }
                second = sec
                if eat(46) || eat(44) {
                    var scale = 0.1
                    while i < s.count, s[i] >= 48, s[i] <= 57 {
                        fraction += Double(s[i] - 48) * scale
                        scale /= 10
                        i += 1
                    }
                }
            }
            if eat(90) || eat(122) {
                offset = 0
            } else if i < s.count && (s[i] == 43 || s[i] == 45) {
                let sign = s[i] == 45 ? -1 : 1
                i += 1
                guard let oh = num(2) else { return nil }
                _ = eat(58)
                let om = num(2) ?? 0
                offset = sign * (oh * 3600 + om * 60)
            }
        }
        guard i == s.count else { return nil }
        // Days from civil (Howard Hinnant's algorithm): exact, no calendar objects.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146097 + doe - 719468
        let seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }
}
