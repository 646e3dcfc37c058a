/// Refuses policy patterns whose backtracking can blow up on hostile text.
///
/// `pattern:` rules are ICU regular expressions run on every message that contains their
/// prefilter, and ICU backtracks without a time limit: `(a+)+$` takes longer than the age of the
/// universe on forty `a`s and an `!`, so one careless rule lets any stranger stop ingest. The
/// classic shapes are refused when the policies load:
/// - a repeated group (`*`, `+`, `{n,}` or more than 10 times) that itself contains a repetition
///   that is not fixed: `(a+)+`, `(\w+\s?)*`, `(.*a){25}`;
/// - a repeated group with alternatives: `(a|aa)+`, `(a|b|ab)*`.
/// Atomic groups `(?>...)` and possessive quantifiers (`*+`, `++`) do not backtrack and are allowed.
/// This is a conservative syntactic check, not a proof: adjacent repetitions such as
/// `.*.*.*.*x` are polynomial and are not refused.
enum PatternSafety {
    /// Why `pattern` is refused, or nil when it has none of the shapes above.
    static func backtrackingRisk(_ pattern: String) -> String? {
        let p = Array(pattern.unicodeScalars)
        struct Frame {
            var atomic = false
            var repeatedInside = false  // a quantifier that is not fixed, anywhere inside
            var alternation = false
        }
        var stack = [Frame()]
        // What the next quantifier applies to: a group just closed (with its frame), or an atom.
        var lastGroup: Frame?
        var hasAtom = false
        var i = 0
        while i < p.count {
            let c = p[i]
            switch c {
            case "\\":
                if i + 1 < p.count, p[i + 1] == "Q" {
                    i += 2
                    while i + 1 < p.count, !(p[i] == "\\" && p[i + 1] == "E") { i += 1 }
                    i += 2
                } else {
                    i += 2
                }
                lastGroup = nil; hasAtom = true
                continue
            case "[":
                // A set, possibly with nested sets ([a-z&&[^q]]) and a leading ] or ^].
                var depth = 1
                i += 1
                if i < p.count, p[i] == "^" { i += 1 }
                if i < p.count, p[i] == "]" { i += 1 }
                while i < p.count, depth > 0 {
                    if p[i] == "\\" { i += 2; continue }
                    if p[i] == "[" { depth += 1 } else if p[i] == "]" { depth -= 1 }
                    i += 1
                }
                lastGroup = nil; hasAtom = true
                continue
            case "(":
                var f = Frame()
                if i + 2 < p.count, p[i + 1] == "?", p[i + 2] == ">" { f.atomic = true }
                stack.append(f)
                lastGroup = nil; hasAtom = false
                i += 1
                continue
            case ")":
                if stack.count > 1 {
                    let f = stack.removeLast()
                    if f.repeatedInside { stack[stack.count - 1].repeatedInside = true }
                    lastGroup = f
                } else {
                    lastGroup = nil
                }
                hasAtom = true
                i += 1
                continue
            case "|":
                stack[stack.count - 1].alternation = true
                lastGroup = nil; hasAtom = false
                i += 1
                continue
            case "*", "+", "?", "{":
                guard hasAtom else { i += 1; continue }
                var lower = 0, upper: Int? = nil
                var j = i + 1
                switch c {
                case "*": upper = nil
                case "+": lower = 1; upper = nil
                case "?": upper = 1
                default:
                    // {n}, {n,}, {n,m}; anything else is a literal brace.
                    var k = i + 1, n = "", m = "", comma = false
                    while k < p.count, p[k] != "}" {
                        if p[k] == "," { comma = true } else if comma { m.unicodeScalars.append(p[k]) } else { n.unicodeScalars.append(p[k]) }
                        k += 1
                    }
                    guard k < p.count, let lo = Int(n) else { lastGroup = nil; i += 1; continue }
                    lower = lo
                    upper = comma ? (m.isEmpty ? nil : Int(m)) : lo
                    j = k + 1
                }
                let possessive = j < p.count && p[j] == "+"
                if j < p.count, p[j] == "?" || p[j] == "+" { j += 1 }
                let variable = upper != lower
                let many = upper == nil || upper! > 10
                if let g = lastGroup, many, !possessive, !g.atomic {
                    if g.repeatedInside {
                        return "a repeated group contains a repetition (like (a+)+): it can backtrack without end on hostile text; make the inner part fixed, or use an atomic group (?>...) or a possessive quantifier (++)"
                    }
                    if g.alternation {
                        return "a repeated group has alternatives (like (a|aa)+): it can backtrack without end on hostile text; use an atomic group (?>...) or a possessive quantifier (*+)"
                    }
                }
                if variable && !possessive { stack[stack.count - 1].repeatedInside = true }
                lastGroup = nil; hasAtom = false
                i = j
                continue
            default:
                lastGroup = nil; hasAtom = true
                i += 1
            }
        }
        return nil
    }
}
