import ArgumentParser
import Foundation
import InboxModel
import Policy
import Reports

/// Helpers of the policy commands, in a namespace so they cannot clash with other commands.
enum PolicyCLI {
/// Resolves `--policies`, then `$ROUNDS_POLICIES`, then the default locations, and loads them.
static func loadPolicies(_ dir: String?) throws -> PolicySet {
    try reportingPolicyErrors { try PolicySet.load(from: try directory(dir)) }
}

/// `--policies`, else `$ROUNDS_POLICIES`, else the default locations.
static func directory(_ dir: String?) throws -> URL {
    if let d = dir { return URL(fileURLWithPath: d) }
    if let d = PolicySet.defaultDirectory() { return d }
    throw ValidationError("no Policies/ directory found: pass --policies DIR or set ROUNDS_POLICIES")
}

/// A policy error is printed as `file:line: message` and ends the command with status 1.
static func reportingPolicyErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as PolicyError {
        FileHandle.standardError.write(Data("\(UntrustedText.line(e.description))\n".utf8))
        throw ExitCode(1)
    }
}
}

struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Classify messages (JSON lines or plain text) with the policies.")

    enum Format: String, ExpressibleByArgument { case jsonl, text }

    @Option(name: .long, help: "Policies directory (default: $ROUNDS_POLICIES or the checkout's Policies/).")
    var policies: String?

    @Option(name: .long, help: "jsonl: one JSON object per input line with text, id, platform, kind, rating; text: one message per line.")
    var format: Format = .jsonl

    @Argument(help: "Input file, or - for standard input.")
    var file: String = "-"

    func run() throws {
        let set = try PolicyCLI.loadPolicies(policies)
        let classifier = Classifier(policies: set)
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let fh = FileHandle(forReadingAtPath: file), let d = try? fh.readToEnd() ?? Data() else {
                FileHandle.standardError.write(Data("\(UntrustedText.line(file)): cannot read file\n".utf8))
                throw ExitCode(1)
            }
            data = d
        }
        var bad = 0
        var out = Data()
        out.reserveCapacity(1 << 16)
        let stdout = FileHandle.standardOutput
        var lineNo = 0
        var start = data.startIndex
        let bytes = data
        func flush(_ force: Bool) {
            if force || out.count > 1 << 16 { stdout.write(out); out.removeAll(keepingCapacity: true) }
        }
        while start < bytes.endIndex {
            let nl = bytes[start...].firstIndex(of: 0x0A) ?? bytes.endIndex
            var lineData = bytes[start..<nl]
            start = nl < bytes.endIndex ? bytes.index(after: nl) : nl
            lineNo += 1
            if lineData.last == 0x0D { lineData = lineData.dropLast() }
            if lineData.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            let line = String(decoding: lineData, as: UTF8.self)  // invalid UTF-8 -> U+FFFD
            switch format {
            case .text:
                let c = classifier.classify(line)
                out.append(Data(ClassificationText.explain(lineNo, line, c).utf8))
            case .jsonl:
                // invalid UTF-8 is replaced by U+FFFD so the rest of the record is still read
                let jsonData = line.utf8.count == lineData.count && !line.unicodeScalars.contains(where: { $0.value == 0xFFFD }) ? Data(lineData) : Data(line.utf8)
                guard let obj = (try? JSONSerialization.jsonObject(with: jsonData, options: [.fragmentsAllowed])) as? [String: Any] else {
                    complain(lineNo, "not a JSON object")
                    bad += 1
                    continue
                }
                guard let text = obj["text"] as? String else {
                    complain(lineNo, "missing string field 'text'")
                    bad += 1
                    continue
                }
                var platform: Platform? = nil
                if let p = obj["platform"] as? String {
                    guard let pp = Platform(rawValue: p) else {
                        complain(lineNo, "unknown platform '\(p)'")
                        bad += 1
                        continue
                    }
                    platform = pp
                }
                var kind: MessageKind? = nil
                if let k = obj["kind"] as? String {
                    guard let kk = MessageKind(rawValue: k) else {
                        complain(lineNo, "unknown kind '\(k)'")
                        bad += 1
                        continue
                    }
                    kind = kk
                }
                var rating: Int? = nil
                if let r = obj["rating"], !(r is NSNull) {
                    guard let n = r as? NSNumber, (1...5).contains(n.intValue) else {
                        complain(lineNo, "rating must be a number from 1 to 5")
                        bad += 1
                        continue
                    }
                    rating = n.intValue
                }
                let c = classifier.classify(text, platform: platform, kind: kind, rating: rating)
                let id: Any = obj["id"].flatMap { $0 is NSNull ? nil : $0 } ?? lineNo
                out.append(Data(ClassificationText.jsonLine(id: id, c).utf8))
                out.append(0x0A)
            }
            flush(false)
        }
        flush(true)
        if bad > 0 { throw ExitCode(1) }
    }
}

/// One input line that cannot be classified, on standard error; the reason may quote the input.
private func complain(_ line: Int, _ reason: String) {
    FileHandle.standardError.write(Data("\(line): \(UntrustedText.line(reason))\n".utf8))
}
