import Foundation
import InboxModel
import IngestPipeline
import Policy
import SafeFiles
import Store

/// The policy set a lead published into the inbox, laid out in a private folder so the loader
/// can read it, then removed. Commands that act on an inbox use it unless the caller named
/// policies of their own (`--policies`, `$ROUNDS_POLICIES`: a lead's right, audited).
enum PublishedPolicies {
    /// True when the caller named a policies folder.
    static func chosen(_ option: String?) -> Bool {
        option != nil || !(ProcessInfo.processInfo.environment["ROUNDS_POLICIES"] ?? "").isEmpty
    }

    /// The folder to load from: the published version in force (in a new private folder the
    /// caller removes with `cleanUp`), or nil to use the usual lookup.
    static func folder(_ inbox: InboxDatabase, option: String?) throws -> URL? {
        guard !chosen(option), let version = try inbox.policyVersionInForce(),
              let (_, files) = try inbox.policyFiles(version: version) else { return nil }
        return try write(files)
    }

    /// `files` in a new private folder.
    static func write(_ files: [PolicyFile]) throws -> URL {
        do { return try PublishedPolicySet.materialise(files) } catch let e as PublishedPolicySet.UnsafePath {
            throw UserError(e.description)
        }
    }

    static func cleanUp(_ folder: URL?) {
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }

    /// Every regular file under `directory`, by relative path (what publish stores).
    static func read(_ directory: URL) throws -> [PolicyFile] {
        let base = directory.standardizedFileURL.path
        guard let walk = FileManager.default.enumerator(atPath: base) else { throw UserError("cannot read \(base)") }
        var files: [PolicyFile] = []
        while let rel = walk.nextObject() as? String {
            var st = stat()
            guard lstat(base + "/" + rel, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { continue }
            guard let data = FileManager.default.contents(atPath: base + "/" + rel) else { throw UserError("cannot read \(base)/\(rel)") }
            files.append(PolicyFile(path: rel, bytes: [UInt8](data)))
        }
        return files.sorted { $0.path < $1.path }
    }

    /// Each file's bytes by its path.
    static func byPath(_ files: [PolicyFile]) -> [String: [UInt8]] {
        Dictionary(files.map { ($0.path, $0.bytes) }, uniquingKeysWith: { a, _ in a })
    }

    /// "2 added, 1 removed, 3 changed: +a, -b, ~c" between two sets of files.
    static func summary(from old: [PolicyFile], to new: [PolicyFile]) -> String {
        let before = byPath(old), after = byPath(new)
        let added = after.keys.filter { before[$0] == nil }.sorted()
        let removed = before.keys.filter { after[$0] == nil }.sorted()
        let changed = after.keys.filter { before[$0] != nil && before[$0] != after[$0] }.sorted()
        let names = added.map { "+" + $0 } + removed.map { "-" + $0 } + changed.map { "~" + $0 }
        return "\(new.count) files; \(added.count) added, \(removed.count) removed, \(changed.count) changed"
            + (names.isEmpty ? "" : ": " + names.prefix(20).joined(separator: ", ") + (names.count > 20 ? ", ..." : ""))
    }
}
