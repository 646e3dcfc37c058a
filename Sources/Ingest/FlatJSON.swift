import Foundation

/// A fast path for the common record: one flat JSON object of strings, numbers, booleans
/// and nulls (Rounds' own JSON Lines). Five to ten times faster than JSONSerialization,
/// which builds Objective-C style objects. Anything else (nesting, odd escapes, bad syntax)
/// returns nil and the caller uses JSONSerialization, which also words the errors.
enum FlatJSON {
    static func parse(_ data: Data) -> [String: Any]? {
        data.withUnsafeBytes { raw -> [String: Any]? in
            var p = Parser(bytes: raw.bindMemory(to: UInt8.self))
            return p.object()
        }
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 32 || bytes[i] == 9 || bytes[i] == 13 || bytes[i] == 10 { i += 1 }
        }

        mutating func object() -> [String: Any]? {
            skipSpace()
            guard i < bytes.count, bytes[i] == 123 else { return nil }
            i += 1
            var dict = [String: Any](minimumCapacity: 16)  // a native record has up to 12 fields
            skipSpace()
            if i < bytes.count, bytes[i] == 125 { i += 1; return finished(dict) }
            while true {
                skipSpace()
                guard let key = string() else { return nil }
                skipSpace()
                guard i < bytes.count, bytes[i] == 58 else { return nil }
                i += 1
                skipSpace()
                guard i < bytes.count else { return nil }
                let value: Any
                switch bytes[i] {
                case 34: guard let s = string() else { return nil }; value = s
                case 116: guard literal("true") else { return nil }; value = NSNumber(value: true)
                case 102: guard literal("false") else { return nil }; value = NSNumber(value: false)
                case 110: guard literal("null") else { return nil }; value = NSNull()
                case 45, 48...57: guard let n = number() else { return nil }; value = n
                default: return nil // nested object or list: not flat
                }
                if dict.updateValue(value, forKey: key) != nil { return nil } // duplicate key
                skipSpace()
                guard i < bytes.count else { return nil }
                if bytes[i] == 44 { i += 1; continue }
                if bytes[i] == 125 { i += 1; return finished(dict) }
                return nil
            }
        }

        mutating func finished(_ dict: [String: Any]) -> [String: Any]? {
            skipSpace()
            return i == bytes.count ? dict : nil
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let n = word.utf8CodeUnitCount
            guard i + n <= bytes.count else { return false }
            let w = word.utf8Start
            for k in 0..<n where bytes[i + k] != w[k] { return false }
            i += n
            return true
        }

        mutating func number() -> NSNumber? {
            let start = i
            var isInteger = true
            while i < bytes.count {
                let b = bytes[i]
                if b >= 48 && b <= 57 || b == 45 { i += 1 }
                else if b == 46 || b == 101 || b == 69 || b == 43 { isInteger = false; i += 1 }
                else { break }
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            if isInteger, let v = Int64(text) { return NSNumber(value: v) }
            guard let d = Double(text), d.isFinite else { return nil }
            return NSNumber(value: d)
        }

        /// A JSON string; nil on anything unusual (the slow path will explain it).
        mutating func string() -> String? {
            guard i < bytes.count, bytes[i] == 34 else { return nil }
            i += 1
            let start = i
            // Fast scan: no escapes means the bytes are the string.
            while i < bytes.count {
                let b = bytes[i]
                if b == 34 {
                    let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
                    i += 1
                    return s
                }
                if b == 92 { break }
                if b < 0x20 { return nil }
                i += 1
            }
            var out = [UInt8](UnsafeBufferPointer(rebasing: bytes[start..<i]))
            while i < bytes.count {
                let b = bytes[i]
                if b == 34 { i += 1; return String(decoding: out, as: UTF8.self) }
                if b < 0x20 { return nil }
                if b != 92 { out.append(b); i += 1; continue }
                i += 1
                guard i < bytes.count else { return nil }
                let e = bytes[i]
                i += 1
                switch e {
                case 34: out.append(34)
                case 92: out.append(92)
                case 47: out.append(47)
                case 98: out.append(8)
                case 102: out.append(12)
                case 110: out.append(10)
                case 114: out.append(13)
                case 116: out.append(9)
                case 117:
                    guard var scalar = hex4() else { return nil }
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard i + 1 < bytes.count, bytes[i] == 92, bytes[i + 1] == 117 else { return nil }
                        i += 2
                        guard let low = hex4(), (0xDC00...0xDFFF).contains(low) else { return nil }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        return nil
                    }
                    guard let u = Unicode.Scalar(scalar) else { return nil }
                    out.append(contentsOf: String(Character(u)).utf8)
                default:
                    return nil
                }
            }
            return nil
        }

        mutating func hex4() -> UInt32? {
            guard i + 4 <= bytes.count else { return nil }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[i]
                let d: UInt32
                switch c {
                case 48...57: d = UInt32(c - 48)
                case 97...102: d = UInt32(c - 87)
                case 65...70: d = UInt32(c - 55)
                default: return nil
                }
                v = v << 4 | d
                i += 1
            }
            return v
        }
    }
}
