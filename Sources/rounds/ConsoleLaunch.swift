/// `rounds [console] [--db PATH] [--policies DIR]`: the console as moderators open it, read
/// without swift-argument-parser, whose reflection over every command is a tenth of the time
/// from exec to first frame. Anything else (help, another command, a typo, a repeated option)
/// is left to the parser, with its usage errors.
struct ConsoleLaunch: Equatable {
    var db: String?
    var policies: String?

    init(db: String? = nil, policies: String? = nil) {
        self.db = db
        self.policies = policies
    }

    init?(_ arguments: [String]) {
        var rest = arguments[...]
        if rest.first == "console" { rest = rest.dropFirst() }
        while let arg = rest.popFirst() {
            let name: String
            let value: String
            if let eq = arg.firstIndex(of: "=") {
                name = String(arg[..<eq])
                value = String(arg[arg.index(after: eq)...])
            } else {
                // a value that looks like an option is a usage error the parser words better
                guard let next = rest.popFirst(), !next.hasPrefix("-") else { return nil }
                name = arg
                value = next
            }
            switch name {
            case "--db" where db == nil: db = value
            case "--policies" where policies == nil: policies = value
            default: return nil
            }
        }
    }
}
