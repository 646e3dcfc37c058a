import Yams

/// The values of one YAML mapping, read by hand for the files the console reads before its
/// first frame (organization.yml, team.yml). `YAMLDecoder` took over a quarter of that time: its
/// generic containers, and a dictionary's keys, which compile Yams's regular expressions.
/// The file's schema has already checked each value's shape; this checks presence and type,
/// and words errors as `YAMLDoc.decode` does.
struct YAMLFields {
    let doc: YAMLDoc
    let node: Node

    init(_ doc: YAMLDoc) { self.init(doc, doc.node) }

    private init(_ doc: YAMLDoc, _ node: Node) {
        self.doc = doc
        self.node = node
    }

    func has(_ key: String) -> Bool { pair(key) != nil }

    func text(_ key: String) throws -> String {
        guard let s = try value(key).scalar?.string else { throw wrongType(key, "a single value") }
        return s
    }

    func texts(_ key: String) throws -> [String] {
        guard let seq = try value(key).sequence else { throw wrongType(key, "a list") }
        return try seq.map { item in
            guard let s = item.scalar?.string else { throw wrongType(key, "a list of single values") }
            return s
        }
    }

    /// nil when absent or written as null (`~`, `null` or nothing).
    func optionalInt(_ key: String) throws -> Int? {
        guard let v = pair(key)?.value, v.null == nil else { return nil }
        guard let n = v.int else { throw wrongType(key, "a whole number") }
        return n
    }

    func textMap(_ key: String) throws -> [String: String] {
        try map(key, expected: "a single value") { $0.scalar?.string }
    }

    func intMap(_ key: String) throws -> [String: Int] {
        try map(key, expected: "a whole number") { $0.int }
    }

    func fields(_ key: String) throws -> YAMLFields {
        let v = try value(key)
        guard v.mapping != nil else { throw wrongType(key, "a mapping") }
        return YAMLFields(doc, v)
    }

    private func map<T>(_ key: String, expected: String, _ each: (Node) -> T?) throws -> [String: T] {
        guard let m = try value(key).mapping else { throw wrongType(key, "a mapping") }
        var out: [String: T] = [:]
        for (k, v) in m {
            let name = k.string ?? ""
            guard let x = each(v) else {
                throw PolicyError(file: doc.path, line: k.mark?.line ?? 1, message: "'\(key).\(name)' has the wrong type (expected \(expected))")
            }
            out[name] = x
        }
        return out
    }

    private func pair(_ key: String) -> (key: Node, value: Node)? {
        node.mapping?.first { $0.key.string == key }
    }

    private func value(_ key: String) throws -> Node {
        guard let p = pair(key) else {
            throw PolicyError(file: doc.path, line: node.mark?.line ?? 1, message: "missing key '\(key)'")
        }
        return p.value
    }

    private func wrongType(_ key: String, _ expected: String) -> PolicyError {
        let line = pair(key)?.key.mark?.line ?? node.mark?.line ?? 1
        return PolicyError(file: doc.path, line: line, message: "'\(key)' has the wrong type (expected \(expected))")
    }
}
