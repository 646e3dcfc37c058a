import Foundation

/// Typed, path-aware access to a decoded JSON object, so a wrong type is reported with
/// where it was (`entry[0].changes[1].value.rating`) instead of being silently dropped.
struct JSONObject {
    let dict: [String: Any]
    let path: String

    init(_ dict: [String: Any], path: String = "") {
        self.dict = dict
        self.path = path
    }

    init(any: Any, path: String) throws {
        guard let d = any as? [String: Any] else {
            throw FieldError(location: path.isEmpty ? "the record" : path, reason: "expected a JSON object, found \(JSONObject.typeName(any))")
        }
        self.init(d, path: path)
    }

    func at(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func has(_ key: String) -> Bool {
        guard let v = dict[key] else { return false }
        return !(v is NSNull)
    }

    /// A text field. Numbers are refused: a number where text belongs is a broken record.
    func string(_ key: String) throws -> String? {
        guard let v = dict[key] else { return nil }
        // Text first: asking whether a String is an NSNull bridges it to NSString.
        if let s = v as? String { return s }
        if v is NSNull { return nil }
        throw FieldError(location: at(key), reason: "'\(key)' should be text, found \(JSONObject.typeName(v))")
    }

    /// An identifier: platforms send ids as strings or as (large) integers.
    func id(_ key: String) throws -> String? {
        guard let v = dict[key] else { return nil }
        if let s = v as? String { return s.isEmpty ? nil : s }
        if v is NSNull { return nil }
        if let n = v as? NSNumber, !JSONObject.isBool(n) {
            if let i = Int64(exactly: n.doubleValue), n.doubleValue.rounded() == n.doubleValue, abs(n.doubleValue) < 9e15 { return String(i) }
            return n.stringValue
        }
        throw FieldError(location: at(key), reason: "'\(key)' should be an id (text or number), found \(JSONObject.typeName(v))")
    }

    func int(_ key: String) throws -> Int? {
        guard let v = dict[key], !(v is NSNull) else { return nil }
        if let n = v as? NSNumber, !JSONObject.isBool(n), n.doubleValue.rounded() == n.doubleValue, abs(n.doubleValue) < 9e15 {
            return Int(n.int64Value)
        }
        if let s = v as? String, let i = Int(s.trimmingCharacters(in: .whitespaces)) { return i }
        throw FieldError(location: at(key), reason: "'\(key)' should be a whole number, found \(JSONObject.typeName(v))")
    }

    func bool(_ key: String) throws -> Bool? {
        guard let v = dict[key], !(v is NSNull) else { return nil }
        if let n = v as? NSNumber { return n.boolValue }
        if let s = v as? String { return ["true", "1", "yes"].contains(s.lowercased()) }
        throw FieldError(location: at(key), reason: "'\(key)' should be true or false, found \(JSONObject.typeName(v))")
    }

    func object(_ key: String) throws -> JSONObject? {
        guard let v = dict[key], !(v is NSNull) else { return nil }
        return try JSONObject(any: v, path: at(key))
    }

    func array(_ key: String) throws -> [Any]? {
        guard let v = dict[key], !(v is NSNull) else { return nil }
        if let a = v as? [Any] { return a }
        throw FieldError(location: at(key), reason: "'\(key)' should be a list, found \(JSONObject.typeName(v))")
    }

    /// The objects of a list field, each with its own path (`entry[2]`).
    func objects(_ key: String) throws -> [JSONObject] {
        guard let list = try array(key) else { return [] }
        return try list.enumerated().map { try JSONObject(any: $1, path: "\(at(key))[\($0)]") }
    }

    /// A time: ISO 8601 text, or Unix seconds / milliseconds as a number.
    func date(_ key: String) throws -> Date? {
        guard let v = dict[key] else { return nil }
        if let s = v as? String {
            switch TimeParser.read(s) {
            case .success(let d): return d
            case .failure(let why): throw FieldError(location: at(key), reason: "invalid date in '\(key)': \"\(s.prefix(40))\": \(why)")
            }
        }
        if v is NSNull { return nil }
        if let n = v as? NSNumber, !JSONObject.isBool(n) {
            let d = TimeParser.epoch(n.doubleValue)
            guard TimeParser.isPlausible(d) else { throw FieldError(location: at(key), reason: "'\(key)' is not a time: \(n) is out of range") }
            return d
        }
        throw FieldError(location: at(key), reason: "'\(key)' should be a time, found \(JSONObject.typeName(v))")
    }

    static func isBool(_ n: NSNumber) -> Bool {
        // JSONSerialization gives booleans as NSNumber; only their type tells them apart.
        String(cString: n.objCType) == "c"
    }

    static func typeName(_ v: Any) -> String {
        switch v {
        case is String: return "text"
        case let n as NSNumber: return isBool(n) ? "true/false" : "a number"
        case is [Any]: return "a list"
        case is [String: Any]: return "an object"
        case is NSNull: return "null"
        default: return "\(type(of: v))"
        }
    }
}
