import Foundation

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

    /// Reads `team.yml` in `directory`; a missing file is an empty team.
    public static func load(from directory: URL) throws -> Team {
        let url = directory.appendingPathComponent("team.yml")
        guard FileManager.default.fileExists(atPath: url.path) else { return Team() }
        // The schema refuses unknown keys: a typo would silently drop someone's role.
        let f = YAMLFields(try YAMLDoc.load(url: url, display: "Policies/team.yml", schema: Schemas.team, resolver: .basic))
        func logins(_ key: String) throws -> [String] { try f.has(key) ? f.texts(key) : [] }
        return Team(leads: try logins("leads"), moderators: try logins("moderators"), trainees: try logins("trainees"))
    }
}
