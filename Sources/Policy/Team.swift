import Foundation
import Yams

/// Who may do what: `Policies/team.yml` names the leads, moderators and trainees by their
/// Unix login. Anyone else opens the console read-only.
public struct Team: Sendable, Equatable {
    public var leads: [String]
    public var moderators: [String]
    public var trainees: [String]

    public init(leads: [String] = [], moderators: [String] = [], trainees: [String] = []) {
        self.leads = leads
        self.moderators = moderators
        self.trainees = trainees
    }

    /// `lead`, `moderator`, `trainee`, or nil for someone not on the team.
    public func role(of login: String) -> String? {
        if leads.contains(login) { return "lead" }
        if moderators.contains(login) { return "moderator" }
        if trainees.contains(login) { return "trainee" }
        return nil
    }

    private struct File: Decodable {
        var leads: [String]?
        var moderators: [String]?
        var trainees: [String]?
        enum CodingKeys: String, CodingKey, CaseIterable { case leads, moderators, trainees }
    }

    /// Reads `team.yml` in `directory`; a missing file is an empty team.
    public static func load(from directory: URL) throws -> Team {
        let url = directory.appendingPathComponent("team.yml")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return Team() }
        // Unknown keys are typos that would silently drop someone's role: refuse them.
        if let node = try? Yams.compose(yaml: text), let map = node.mapping {
            for (key, _) in map {
                guard let k = key.string, File.CodingKeys(rawValue: k) != nil else {
                    let line = (key.mark?.line ?? 0) + 1
                    throw PolicyError(file: "Policies/team.yml", line: line,
                                      message: "unknown key '\(key.string ?? "?")' (expected leads, moderators or trainees)")
                }
            }
        }
        do {
            let f = try YAMLDecoder().decode(File.self, from: text)
            return Team(leads: f.leads ?? [], moderators: f.moderators ?? [], trainees: f.trainees ?? [])
        } catch {
            throw PolicyError(file: "Policies/team.yml", line: 1, message: "not a list of logins under leads, moderators, trainees: \(error)")
        }
    }
}
