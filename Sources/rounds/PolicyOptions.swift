import ArgumentParser
import Foundation
import InboxModel
import Policy

/// `--policies DIR`, shared by every command that reads policies (else $ROUNDS_POLICIES,
/// else an installed share/rounds/Policies, else the checkout's Policies/).
struct PolicyOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Policies folder (else $ROUNDS_POLICIES or the default).", valueName: "DIR"))
    var policies: String?

    func load() throws -> PolicySet { try PolicyCLI.loadPolicies(policies) }

    func directory() -> URL? {
        policies.map { URL(fileURLWithPath: $0) } ?? PolicySet.defaultDirectory()
    }
}

/// The person at the keyboard: the Unix login, as the audit log records it.
enum Moderator {
    static var login: String {
        if let pw = getpwuid(geteuid()), let name = pw.pointee.pw_name { return String(cString: name) }
        return ProcessInfo.processInfo.environment["USER"] ?? "unknown"
    }
}
