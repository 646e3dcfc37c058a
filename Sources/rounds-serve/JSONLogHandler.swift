import Foundation
import InboxModel
import Logging

/// swift-log's output for `rounds serve`: one JSON object a line on standard error
/// (`{"ts":...,"level":...,"msg":...,"key":"value"}`), every string escaped by `UntrustedText`
/// (a platform's text can hold anything), and every configured secret replaced by `‹secret›`
/// in case one ever reached a message (none should: `Secret` prints as `‹secret›`).
struct JSONLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info
    let label: String
    let secrets: [String]
    private static let lock = NSLock()

    init(label: String, secrets: [String]) {
        self.label = label
        self.secrets = secrets.filter { $0.count >= 4 }
        if let level = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) { logLevel = level }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line = "{\"ts\":"
        line.appendJSONString(Self.timestamp())
        line += ",\"level\":"
        line.appendJSONString(event.level.rawValue)
        line += ",\"logger\":"
        line.appendJSONString(label)
        line += ",\"msg\":"
        line.appendJSONString(scrub(event.message.description))
        var all = metadata.merging(event.metadata ?? [:]) { _, new in new }
        if let e = event.error { all["error"] = .string("\(e)") }
        for key in all.keys.sorted() {
            line += ","
            line.appendJSONString(key)
            line += ":"
            line.appendJSONString(scrub(Self.flatten(all[key]!)))
        }
        line += "}\n"
        Self.lock.withLock { FileHandle.standardError.write(Data(line.utf8)) }
    }

    private func scrub(_ s: String) -> String {
        var out = s
        for secret in secrets where out.contains(secret) { out = out.replacingOccurrences(of: secret, with: "‹secret›") }
        return out
    }

    private static func flatten(_ v: Logger.Metadata.Value) -> String {
        switch v {
        case .string(let s): return s
        case .stringConvertible(let c): return c.description
        case .array(let a): return a.map(flatten).joined(separator: ",")
        case .dictionary(let d): return d.keys.sorted().map { "\($0)=\(flatten(d[$0]!))" }.joined(separator: ",")
        }
    }

    private static func timestamp() -> String {
        var tv = timeval()
        gettimeofday(&tv, nil)
        let iso = UTCTime.iso(Int64(tv.tv_sec))
        let ms = Int(tv.tv_usec / 1000)
        return String(iso.dropLast()) + "." + String(format: "%03d", ms) + "Z"
    }
}
