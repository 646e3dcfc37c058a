import Foundation
import InboxModel
import Policy
import SafeFiles
import Store

/// The policy set a lead published into the inbox (`rounds policy publish`).
public enum PublishedPolicySet {
    public struct UnsafePath: Error, CustomStringConvertible {
        public var path: String
        public var description: String { "published policy file '\(UntrustedText.line(path))' has a path outside its folder" }
    }

    /// The published set in force and its version, or nil when none was published. The files
    /// are laid out in a private folder for the loader, then removed.
    public static func load(_ inbox: InboxDatabase) throws -> (set: PolicySet, version: String)? {
        guard let version = try inbox.policyVersionInForce(), let (_, files) = try inbox.policyFiles(version: version) else { return nil }
        let folder = try materialise(files)
        defer { try? FileManager.default.removeItem(at: folder) }
        return (try PolicySet.load(from: folder), version)
    }

    /// `files` in a new private folder (mode 0700, files 0600) the caller removes.
    public static func materialise(_ files: [PolicyFile]) throws -> URL {
        let dir = try SafeFiles.makePrivateDirectory(prefix: "rounds-policies")
        for f in files {
            // Paths were collected from a folder by publish; still, none may climb out.
            guard !f.path.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }), !f.path.hasPrefix("/") else {
                try? FileManager.default.removeItem(atPath: dir)
                throw UnsafePath(path: f.path)
            }
            let url = URL(fileURLWithPath: dir).appendingPathComponent(f.path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            let out = try PendingFile(url.path, mode: 0o600)
            try out.write(f.bytes)
            try out.commit()
        }
        return URL(fileURLWithPath: dir, isDirectory: true)
    }
}
