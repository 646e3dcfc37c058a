import Foundation
import XCTest
@testable import Policy
import InboxModel

enum Fixture {
    static let policiesURL: URL = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Policies")
    }()

    nonisolated(unsafe) private static var cached: PolicySet?
    static let lock = NSLock()

    static func policies() throws -> PolicySet {
        lock.lock(); defer { lock.unlock() }
        if let c = cached { return c }
        let p = try PolicySet.load(from: policiesURL)
        cached = p
        return p
    }

    static func classifier() throws -> Classifier { Classifier(policies: try policies()) }

    /// A copy of the shipped policies in a temporary folder, to break on purpose.
    static func copyOfPolicies() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rounds-policy-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: policiesURL, to: dir)
        return dir
    }

    static func edit(_ dir: URL, _ rel: String, _ f: (String) -> String) throws {
        let u = dir.appendingPathComponent(rel)
        let s = try String(contentsOf: u, encoding: .utf8)
        try f(s).write(to: u, atomically: true, encoding: .utf8)
    }

    static func loadError(_ dir: URL) -> PolicyError? {
        do {
            _ = try PolicySet.load(from: dir)
            return nil
        } catch let e as PolicyError {
            return e
        } catch {
            return PolicyError(file: "?", line: -1, message: "\(error)")
        }
    }
}

extension Classification {
    func decision(_ f: FlagName) -> Decision? { hit(f)?.decision }
    func raised(_ f: FlagName) -> Bool { (hit(f)?.decision ?? .review) >= .flag && hit(f) != nil }
}
