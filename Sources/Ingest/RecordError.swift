import Foundation

/// Why one input record could not be read, and where it was.
public struct RecordError: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    /// Where inside the record, for JSON a path such as `entry[0].changes[1].value.message`.
    public var location: String?
    public var reason: String
    /// The record's bytes, kept in the store so nothing is lost.
    public var raw: Data

    public init(file: String, line: Int, location: String? = nil, reason: String, raw: Data) {
        self.file = file
        self.line = line
        self.location = location
        self.reason = reason
        self.raw = raw
    }

    /// `FILE:LINE: reason (at location)`, the form editors and terminals link to.
    public var description: String {
        var s = "\(file):\(line): \(reason)"
        if let location, !location.isEmpty { s += " (at \(location))" }
        return s
    }
}

/// A problem with one field, found while reading a record; the reader adds file and line.
struct FieldError: Error {
    var location: String
    var reason: String
}
