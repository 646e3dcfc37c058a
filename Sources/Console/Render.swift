import Foundation
import InboxModel

/// One rendered line: cells with their styles, before placement on the grid.
struct StyledLine {
    var atoms: [(DisplayAtom, Style)] = []
    var fill: Style? = nil

    init(_ text: String = "", _ style: Style = .normal) { append(text, style) }

    mutating func append(_ text: String, _ style: Style) {
        for a in DisplayText.atoms(text) { atoms.append((a, a.isPlaceholder ? .placeholder : style)) }
    }

    var width: Int { atoms.reduce(0) { $0 + $1.0.width } }
}

/// Renders the state into a `Screen`: pure, deterministic, every row exactly `width` wide.
public enum Renderer {
    /// Most characters of a message body the detail pane renders.
    public static let maxDetailScalars = 20_000

    public static func render(_ s: ConsoleState) -> Screen {
        var screen = Screen(width: s.width, height: s.height)
        guard s.width > 0, s.height > 0 else { return screen }
        if s.isTooSmall {
            tooSmall(&screen, s)
            return screen
        }
        if s.locked {
            lockScreen(&screen, s)
            return screen
        }
        let layout = Layout(width: s.width, height: s.height)
        queueBar(&screen, s)
        if s.fullDetail {
            let lines = detailLines(s, width: s.width)
            place(&screen, lines, top: 1, height: layout.statusRow - 1, scroll: s.detailScroll)
        } else {
            list(&screen, s, layout)
            separator(&screen, s, layout)
            let lines = detailLines(s, width: s.width)
            place(&screen, lines, top: layout.detailTop, height: layout.detailHeight, scroll: s.detailScroll)
        }
        status(&screen, s, layout)
        messageLine(&screen, s, layout)
        if let o = s.overlay { overlay(&screen, s, o, layout) }
        return screen
    }

    // MARK: - Tiny terminal

    /// After a while without a key: no message, no author, no count that could say who wrote.
    static func lockScreen(_ screen: inout Screen, _ s: ConsoleState) {
        let minutes = Int((s.idleLockSeconds / 60).rounded())
        let text = "\(s.organisation): locked after \(minutes) minute\(minutes == 1 ? "" : "s") without a key. \(s.moderator), press any key to go on."
        let lines = wrap(StyledLine(text, .heading), width: max(1, s.width - 4))
        let top = max(0, (s.height - lines.count) / 2)
        for (i, l) in lines.enumerated() where top + i < s.height {
            draw(&screen, l, row: top + i, column: max(0, (s.width - l.width) / 2), maxWidth: s.width)
        }
        screen.cursor = (row: min(top, s.height - 1), column: 0)
    }

    static func tooSmall(_ screen: inout Screen, _ s: ConsoleState) {
        let text = "Window too small (\(s.width)x\(s.height)). Please enlarge the window to at least 60 columns x 15 rows. q quits."
        let lines = wrap(StyledLine(text, .heading), width: max(1, s.width))
        let top = max(0, (s.height - lines.count) / 2)
        for (i, l) in lines.enumerated() where top + i < s.height {
            let left = max(0, (s.width - l.width) / 2)
            draw(&screen, l, row: top + i, column: left, maxWidth: s.width)
        }
        screen.cursor = (row: min(top, s.height - 1), column: 0)
    }

    // MARK: - Queue bar

    static func queueBar(_ screen: inout Screen, _ s: ConsoleState) {
        screen.fill(row: 0, style: .bar)
        // Failed deliveries keep the right edge, whatever the width: the queues fit in the rest.
        let alert = s.failedDeliveries > 0 ? " Failed \(s.failedDeliveries) " : ""
        let width = s.width - DisplayText.width(alert)
        if !alert.isEmpty { screen.write(alert, row: 0, column: width, style: .badgeUrgent) }
        // Widest form that fits: full titles, short titles, then short titles without padding
        // scrolled so that the current queue is always visible.
        func items(_ short: Bool, _ pad: String) -> [(String, QueueID)] {
            QueueID.allCases.map { q in
                let n = s.counts[q].map(String.init) ?? "-"
                return ("\(pad)\(short ? q.shortTitle : q.title) \(n)\(pad)", q)
            }
        }
        var chosen = items(false, " ")
        var gap = 0
        if chosen.reduce(0, { $0 + DisplayText.width($1.0) }) > width { chosen = items(true, " ") }
        if chosen.reduce(0, { $0 + DisplayText.width($1.0) }) > width { chosen = items(true, ""); gap = 1 }
        let active = chosen.firstIndex { $0.1 == s.queue } ?? 0
        let last = chosen.count - 1
        // Columns that items a...b take: a "‹" (and a gap) when scrolled, then the items and the gaps between them.
        func span(_ a: Int, _ b: Int) -> Int {
            (a > 0 ? 1 + gap : 0) + chosen[a...b].reduce(0) { $0 + DisplayText.width($1.0) } + gap * (b - a)
        }
        // Scroll only as far as needed to show the current queue whole; when queues after it are left
        // out, one column is kept for "›".
        var start = 0
        while start < active, span(start, last) > width, span(start, active) + 1 > width { start += 1 }
        var end = last
        if span(start, last) > width {
            end = max(start, active)
            while end < last, span(start, end + 1) + 1 <= width { end += 1 }
        }
        var col = 0
        if start > 0 { col = screen.write("‹", row: 0, column: 0, style: .bar) }
        for (text, q) in chosen[start...end] {
            if col > 0 && gap > 0 { col += gap }
            col = screen.write(text, row: 0, column: col, maxWidth: width - col, style: q == s.queue ? .barActive : .bar)
            if col >= width { break }
        }
        if end < last {
            screen.write("›", row: 0, column: width - 1, style: .bar)
            col = width
        }
        // The organisation, right-aligned, when there is room.
        let org = DisplayText.width(s.organisation)
        if org > 0, col + 2 + org + 1 <= width {
            screen.write(s.organisation, row: 0, column: width - org - 1, style: .bar)
        }
    }

    // MARK: - List

    struct Columns {
        var age = 4, platform = 2, kind = 7, visibility = 7, author = 12, badges = 9
        init(width: Int) {
            if width < 80 { kind = 3; visibility = 3; author = 10; badges = 7 }
            if width >= 120 { author = 16; badges = 14 }
        }
    }

    static func list(_ screen: inout Screen, _ s: ConsoleState, _ layout: Layout) {
        let cols = Columns(width: s.width)
        let rows = s.list.rows
        if rows.isEmpty {
            let text: String
            if !s.listLoaded { text = "  Loading…" } else if !s.query.isEmpty {
                text = "  No messages in \(s.queue.title) match the filter (/ to change it)"
            } else { text = "  No messages in \(s.queue.title)" }
            screen.write(text, row: layout.listTop, column: 0, style: .muted)
            screen.cursor = (row: layout.listTop, column: 0)
            return
        }
        for i in 0..<layout.listHeight {
            let idx = s.list.scrollTop + i
            guard idx < rows.count else { break }
            let r = rows[idx]
            let y = layout.listTop + i
            let selected = idx == s.list.selected
            let base: Style = selected ? .selected : .normal
            screen.fill(row: y, style: base)
            var c = 0
            let tagged = s.tagged.contains(r.id)
            c = screen.write(tagged ? "*" : " ", row: y, column: c, style: selected ? base : .tagged)
            c = screen.write(selected ? ">" : " ", row: y, column: c, style: base)
            c = cell(&screen, age(r.receivedAt, now: s.now), y, c, cols.age, base, rightAlign: true) + 1
            c = cell(&screen, platformCode(r.platform), y, c, cols.platform, base) + 1
            c = cell(&screen, cols.kind == 3 ? kindCode(r.kind) : r.kind.rawValue, y, c, cols.kind, base) + 1
            let vis = r.visibility == .public ? (cols.visibility == 3 ? "PUB" : "PUBLIC") : (cols.visibility == 3 ? "PRV" : "PRIVATE")
            c = cell(&screen, vis, y, c, cols.visibility, base) + 1
            c = cell(&screen, "@" + r.authorHandle, y, c, cols.author, base) + 1
            // Badges, most urgent first.
            var bc = c
            for (flag, decision) in r.flags.sorted(by: { $0.key < $1.key }) {
                let b = badge(flag, decision)
                guard bc + b.count <= c + cols.badges else { break }
                let st: Style = selected ? base : (flag == .emergency ? .badgeUrgent : flag == .phiExposure || flag == .symptomQuestion ? .badgeWarn : .badge)
                bc = screen.write(b, row: y, column: bc, style: st) + 1
            }
            c += cols.badges + 1
            if c < s.width {
                screen.write(r.snippet, row: y, column: c, maxWidth: s.width - c, style: base)
            }
            if selected { screen.cursor = (row: y, column: 1) }
        }
    }

    /// Writes `text` into a fixed-width column (clipped, padded); returns the column after it.
    static func cell(_ screen: inout Screen, _ text: String, _ row: Int, _ column: Int, _ width: Int, _ style: Style,
                     rightAlign: Bool = false) -> Int {
        let w = DisplayText.width(text)
        let start = rightAlign && w < width ? column + width - w : column
        screen.write(text, row: row, column: start, maxWidth: column + width - start, style: style)
        return column + width
    }

    public static func age(_ date: Date, now: Date) -> String {
        let secs = max(0, Int(now.timeIntervalSince(date)))
        if secs < 60 { return "now" }
        if secs < 3600 { return "\(secs / 60)m" }
        if secs < 86400 { return "\(secs / 3600)h" }
        return "\(secs / 86400)d"
    }

    static func platformCode(_ p: Platform) -> String {
        switch p {
        case .facebook: "FB"
        case .messenger: "MS"
        case .instagram: "IG"
        case .x: "X"
        case .gbp: "GB"
        }
    }

    static func kindCode(_ k: MessageKind) -> String {
        switch k {
        case .comment: "cmt"
        case .reply: "rpl"
        case .post: "pst"
        case .mention: "mtn"
        case .dm: "dm"
        case .review: "rev"
        }
    }

    static func badge(_ f: FlagName, _ d: Decision) -> String {
        let code = switch f {
        case .emergency: "EMR"
        case .phiExposure: "PHI"
        case .symptomQuestion: "SYM"
        case .offensive: "OFF"
        case .reviewFeedback: "REV"
        case .spam: "SPAM"
        case .misinformation: "MIS"
        }
        return d == .review ? code + "?" : code
    }

    static func separator(_ screen: inout Screen, _ s: ConsoleState, _ layout: Layout) {
        let y = layout.separatorRow
        for x in 0..<s.width { screen.write("─", row: y, column: x, style: .muted) }
        guard let r = s.selectedRow else { return }
        let title = " #\(r.id) \(r.platform.label) \(r.kind.rawValue) \(r.visibility == .public ? "PUBLIC" : "PRIVATE") · \(r.state.rawValue) "
        screen.write(title, row: y, column: 2, maxWidth: s.width - 4, style: .heading)
    }

    // MARK: - Detail

    static func detailLines(_ s: ConsoleState, width: Int) -> [StyledLine] {
        guard let row = s.selectedRow else { return [] }
        guard let ctx = s.selectedContext else { return [StyledLine("  Loading message…", .muted)] }
        let d = ctx.detail
        var out: [StyledLine] = []
        var head = StyledLine("@" + row.authorHandle, .heading)
        if let name = d.authorName, !name.isEmpty { head.append(" (\(name))", .heading) }
        head.append(" · \(row.platform.label) \(row.kind.rawValue) · \(row.visibility == .public ? "PUBLIC" : "PRIVATE")", .normal)
        let a = age(row.receivedAt, now: s.now)
        head.append(" · \(a == "now" ? "just now" : a + " ago") · lang \(d.language)", .normal)
        head.append(" · \(d.authorEarlierCount) earlier message\(d.authorEarlierCount == 1 ? "" : "s") from this author", .normal)
        if let c = row.claimedBy { head.append(" · claimed by \(c)", .normal) }
        out += wrap(head, width: width)
        if row.platform == .messenger {
            let start = d.lastAuthorMessageAt ?? row.receivedAt
            let left = Int(start.addingTimeInterval(24 * 3600).timeIntervalSince(s.now))
            let text = left > 0 ? "Reply window: \(left / 3600)h \((left % 3600) / 60)m left (Messenger, 24 h)" : "Reply window closed (Messenger, 24 h): a reply may be refused"
            out.append(StyledLine(text, left > 3600 ? .normal : .error))
        }
        if let p = d.parentText, !p.isEmpty {
            var l = StyledLine("In reply to: ", .muted)
            l.append(p, .muted)
            out += wrap(l, width: width).prefix(3)
        }
        out.append(StyledLine())
        // The message, evidence spans highlighted (spans count scalars of the original text).
        let spans = d.classification.flags.flatMap { $0.evidence.compactMap { e -> Range<Int>? in
            guard e.span.count == 2, e.span[0] < e.span[1] else { return nil }
            return e.span[0]..<e.span[1]
        } }
        var offset = 0
        // A huge message is shown up to a bound: rendering time must not grow with its size.
        let shown = d.text.unicodeScalars.count > maxDetailScalars
            ? String(String.UnicodeScalarView(d.text.unicodeScalars.prefix(maxDetailScalars))) : d.text
        for para in shown.split(separator: "\n", omittingEmptySubsequences: false) {
            var l = StyledLine()
            for a in DisplayText.atoms(String(para)) {
                var a2 = a
                a2.source += offset
                let st: Style = a.isPlaceholder ? .placeholder : spans.contains { $0.contains(a2.source) } ? .evidence : .normal
                l.atoms.append((a2, st))
            }
            offset += para.unicodeScalars.count + 1
            out += wrap(l, width: width)
        }
        if shown.unicodeScalars.count < d.text.unicodeScalars.count {
            out.append(StyledLine("… \(d.text.unicodeScalars.count - maxDetailScalars) more characters not shown", .muted))
        }
        out.append(StyledLine())
        for hit in d.classification.flags.sorted(by: { $0.flag < $1.flag }) {
            var l = StyledLine(flagTitle(hit.flag), hit.flag == .emergency ? .badgeUrgent : .heading)
            l.append(" · \(hit.decision.rawValue) · score \(String(format: "%.2f", hit.score))", .normal)
            if let sev = hit.severity { l.append(" · \(sev)", .normal) }
            if let cat = hit.category { l.append(" · \(cat)", .normal) }
            out += wrap(l, width: width)
            let isSentiment: (Evidence) -> Bool = { $0.rule.hasPrefix("sentiment.") }
            let (rules, model) = (hit.evidence.filter { !isSentiment($0) }, hit.evidence.filter(isSentiment))
            for e in rules.prefix(3) {
                var w = StyledLine("  why: “", .muted)
                w.append(e.text, .evidence)
                w.append("” (rule \(e.rule)\(e.file.isEmpty ? "" : " in \(e.file)"))", .muted)
                if !e.modifiers.isEmpty { w.append("; " + e.modifiers.map(plainModifier).joined(separator: ", "), .muted) }
                out += wrap(w, width: width)
            }
            if let first = model.first {
                // the learned model's strongest words, with their weights, on one line
                var w = StyledLine("  sentiment: ", .muted)
                for (i, e) in model.enumerated() {
                    w.append(i == 0 ? "“" : ", “", .muted)
                    w.append(e.text, .evidence)
                    w.append("” \(e.contribution > 0 ? "+" : "")\(e.contribution)", .muted)
                }
                w.append(" (\(first.rule.hasPrefix("sentiment.model.") ? "model" : "lexicon") in \(first.file))", .muted)
                out += wrap(w, width: width)
            }
        }
        if d.classification.flags.isEmpty { out.append(StyledLine("No flags.", .muted)) }
        for n in d.notes { out += wrap(StyledLine("Note: " + n, .muted), width: width) }
        let delivery = deliveryLines(d, now: s.now, width: width)
        if !delivery.isEmpty { out.append(StyledLine()); out += delivery }
        out.append(StyledLine())
        if ctx.templates.isEmpty {
            out.append(StyledLine("No reply template fits; R writes a free-text reply.", .muted))
        } else {
            out.append(StyledLine("Replies (press the number; \(row.visibility == .public ? "PUBLIC" : "PRIVATE")):", .heading))
            for (i, t) in ctx.templates.prefix(9).enumerated() {
                var l = StyledLine("\(i + 1) \(t.recommended ? "★" : " ") ", .heading)
                l.append(t.title + ": ", .normal)
                l.append(t.text.replacingOccurrences(of: "\n", with: " "), .muted)
                out.append(l)  // one line each, clipped
            }
        }
        return out
    }

    static func flagTitle(_ f: FlagName) -> String {
        switch f {
        case .emergency: "EMERGENCY"
        case .symptomQuestion: "Symptom question"
        case .phiExposure: "PHI exposed"
        case .offensive: "Offensive"
        case .reviewFeedback: "Review feedback"
        case .spam: "Spam"
        case .misinformation: "Misinformation"
        }
    }

    static func plainModifier(_ m: String) -> String {
        switch m {
        case "negated": "negated (may not be real)"
        case "figurative": "figurative speech"
        case "hypothetical": "hypothetical"
        case "experiencer:relative": "about someone else"
        case "temporality:history": "in the past"
        default: m
        }
    }

    /// Word-wraps a line to `width` columns, breaking after spaces where possible.
    static func wrap(_ line: StyledLine, width: Int) -> [StyledLine] {
        guard width > 0 else { return [] }
        var out: [StyledLine] = []
        var cur = StyledLine()
        var curWidth = 0
        var lastSpace: Int? = nil
        for (a, st) in line.atoms {
            if curWidth + a.width > width {
                if let sp = lastSpace, sp + 1 < cur.atoms.count {
                    var next = StyledLine()
                    next.atoms = Array(cur.atoms[(sp + 1)...])
                    cur.atoms.removeSubrange((sp + 1)...)
                    out.append(cur)
                    cur = next
                } else {
                    out.append(cur)
                    cur = StyledLine()
                }
                curWidth = cur.width
                lastSpace = nil
            }
            cur.atoms.append((a, st))
            curWidth += a.width
            if a.text == " " { lastSpace = cur.atoms.count - 1 }
        }
        out.append(cur)
        return out
    }

    static func place(_ screen: inout Screen, _ lines: [StyledLine], top: Int, height: Int, scroll: Int) {
        guard height > 0 else { return }
        let start = min(max(0, scroll), max(0, lines.count - height))
        for i in 0..<height where start + i < lines.count {
            draw(&screen, lines[start + i], row: top + i, column: 0, maxWidth: screen.width)
        }
    }

    static func draw(_ screen: inout Screen, _ line: StyledLine, row: Int, column: Int, maxWidth: Int) {
        if let f = line.fill { screen.fill(row: row, from: column, to: column + maxWidth, style: f) }
        var c = column
        let limit = min(screen.width, column + maxWidth)
        for (a, st) in line.atoms {
            guard c + a.width <= limit else {
                if a.width == 2 && c < limit { screen.put(DisplayAtom(text: " ", width: 1, source: 0, isPlaceholder: false), row: row, column: c, style: st) }
                break
            }
            screen.put(a, row: row, column: c, style: st)
            c += a.width
        }
    }

    // MARK: - Status and message lines

    static func status(_ screen: inout Screen, _ s: ConsoleState, _ layout: Layout) {
        let y = layout.statusRow
        screen.fill(row: y, style: .status)
        // Someone not on the team sees why nothing they press changes anything.
        let who = s.role == .readonly ? "\(s.moderator) (READ-ONLY: not on the team)" : "\(s.moderator) (\(s.role.rawValue))"
        var parts: [String] = [who, position(s)]
        if let p = s.pendingReplies.last {
            let left = max(0, Int(p.deadline.timeIntervalSince(s.now).rounded(.up)))
            parts.append("reply sends in \(left)s, u undoes" + (s.pendingReplies.count > 1 ? " (\(s.pendingReplies.count) pending)" : ""))
        }
        if let r = s.selectedRow { parts.append("reply: \(r.visibility == .public ? "PUBLIC" : "PRIVATE")") }
        if !s.tagged.isEmpty { parts.append("\(s.tagged.count) tagged") }
        if let b = s.bulkTargets { parts.append("; next action → \(b.count) tagged") }
        if !s.query.isEmpty { parts.append("filter: \(s.query.source)") }
        if !s.connections.isEmpty { parts.append(connections(s.connections, now: s.now)) }
        screen.write(" " + parts.joined(separator: " │ "), row: y, column: 0, style: .status)
    }

    /// `Meta ✓  X rate-limited until 14:05  GBP token refresh failing`: what a moderator needs
    /// to know about where messages come from (a dead connection means an inbox that looks quiet).
    static func connections(_ list: [ConnectionStatus], now: Date) -> String {
        list.map { c in
            let until = c.until.map { Date(timeIntervalSince1970: Double($0) / 1000) }.flatMap { $0 > now ? $0 : nil }
            switch c.state {
            case .ok: return "\(c.name) ✓"
            case .rateLimited: return "\(c.name) rate-limited" + (until.map { " until \(clock($0))" } ?? "")
            case .reconnect: return "\(c.name) needs reconnecting"
            case .error:
                let detail = c.detail.hasPrefix("token refresh failing") ? "token refresh failing" : "failing"
                return "\(c.name) \(detail)" + (until.map { ", retry \(clock($0))" } ?? "")
            }
        }.joined(separator: "  ")
    }

    /// Local `HH:MM`.
    static func clock(_ d: Date) -> String {
        var t = time_t(d.timeIntervalSince1970)
        var tm = tm()
        localtime_r(&t, &tm)
        return String(format: "%02d:%02d", tm.tm_hour, tm.tm_min)
    }

    /// Where the selection is in the current queue. The counts are per queue, not per filter, so
    /// under a filter the position counts the loaded rows that match, with "+" when more may follow.
    static func position(_ s: ConsoleState) -> String {
        let title = s.queue.title
        let n = s.list.rows.count
        guard !s.query.isEmpty else {
            let total = s.counts[s.queue].map(String.init) ?? "?"
            if n == 0 { return "\(title) 0/\(total)" }
            return "\(title) \(s.list.atStart ? String(s.list.selected + 1) : "…")/\(total)"
        }
        if n == 0 { return s.listLoaded ? "\(title): no matches" : "\(title) filtered" }
        let all = s.list.atStart && s.list.atEnd
        return "\(title) \(s.list.atStart ? String(s.list.selected + 1) : "…") of \(n)\(all ? "" : "+") matching"
    }

    static func hints(_ s: ConsoleState) -> String {
        let km = s.keyMap
        func k(_ c: Command) -> String? { km.keys(for: c).first?.name }
        // Display order; `drop` is the order hints go in when the line is too narrow (0: always kept).
        let items: [(command: Command, label: String, drop: Int)] = [
            (.moveDown, "move", 4), (.nextQueue, "queue", 3), (.replyTemplate(1), "reply", 8),
            (.hide, "hide", 7), (.escalate, "escalate", 5), (.markDone, "done", 2),
            (.undo, "undo", 6), (.search, "search", 1), (.help, "help", 0), (.quit, "quit", 0)]
        var shown: [(text: String, drop: Int)] = items.compactMap { c, label, drop in
            guard let key = k(c) else { return nil }
            if case .replyTemplate = c { return ("\(key)-9 \(label)", drop) }
            return ("\(key) \(label)", drop)
        }
        func line() -> String { " " + shown.map(\.text).joined(separator: "  ") }
        // Whole hints only: drop the least important until the rest fits.
        while DisplayText.width(line()) > s.width,
              let i = shown.indices.filter({ shown[$0].drop > 0 }).min(by: { shown[$0].drop < shown[$1].drop }) {
            shown.remove(at: i)
        }
        return line()
    }

    static func messageLine(_ screen: inout Screen, _ s: ConsoleState, _ layout: Layout) {
        let y = layout.messageRow
        if case .prompt(let kind, let text) = s.overlay {
            let c = screen.write(kind.label, row: y, column: 0, style: .prompt)
            // Keep the end of long input visible.
            let room = s.width - c - 1
            var atoms = DisplayText.atoms(text)
            var w = atoms.reduce(0) { $0 + $1.width }
            while w > room, !atoms.isEmpty { w -= atoms.removeFirst().width }
            let end = screen.write(atoms: atoms, row: y, column: c, style: .normal)
            screen.cursor = (row: y, column: min(end, s.width - 1))
            return
        }
        if let f = s.flash {
            screen.write(" " + f.text, row: y, column: 0, style: f.isError ? .error : .message)
        } else {
            screen.write(hints(s), row: y, column: 0, style: .muted)
        }
    }

    // MARK: - Overlays

    static func overlay(_ screen: inout Screen, _ s: ConsoleState, _ o: Overlay, _ layout: Layout) {
        switch o {
        case .prompt:
            return  // drawn on the message line
        case .help(let scroll):
            let lines = helpLines(s.keyMap)
            box(&screen, title: "Keys (j/k scroll, Esc closes)", lines: lines, top: 1, height: layout.statusRow - 1,
                left: 0, width: s.width, scroll: scroll)
        case .menu(let m):
            var lines = [StyledLine]()
            for (i, opt) in m.options.enumerated() {
                var l = StyledLine(" \(i + 1) \(opt) ", i == m.selected ? .overlaySelected : .overlay)
                l.fill = i == m.selected ? .overlaySelected : nil
                lines.append(l)
            }
            centered(&screen, s, title: m.title, lines: lines)
            if let c = screen.cursor { screen.cursor = (row: c.row + m.selected, column: c.column) }
        case .confirm(_, let q):
            centered(&screen, s, title: "Confirm", lines: wrap(StyledLine(q, .overlay), width: min(s.width - 4, 60)))
        case .guardBlocked(_, let violations):
            var lines: [StyledLine] = [StyledLine("This reply was not queued:", .error)]
            for v in violations { lines += wrap(StyledLine("• " + v.message, .overlay), width: min(s.width - 4, 70)) }
            lines.append(StyledLine())
            lines.append(StyledLine(s.role.may(.overrideGuard) ? "o override with a reason · Esc back" : "Esc back (only a lead can override)", .muted))
            centered(&screen, s, title: "Reply guard", lines: lines)
        }
    }

    static func helpLines(_ km: KeyMap) -> [StyledLine] {
        var out: [StyledLine] = []
        var section = ""
        for e in CommandTable.entries {
            if case .replyTemplate(let n) = e.command, n > 1 { continue }
            if e.section != section {
                section = e.section
                if !out.isEmpty { out.append(StyledLine()) }
                out.append(StyledLine(section, .heading))
            }
            var keys: String
            var help = e.help
            if case .replyTemplate = e.command {
                keys = (1...9).compactMap { km.keys(for: .replyTemplate($0)).first?.name }.joined(separator: " ")
                help = "Reply with template 1-9 (1 = recommended), undo window follows"
            } else {
                keys = km.keys(for: e.command).map(\.name).joined(separator: " ")
            }
            if keys.isEmpty { keys = "(unbound)" }
            var l = StyledLine("  " + keys.padding(toLength: max(keys.count, 18), withPad: " ", startingAt: 0) + " ", .heading)
            l.append(help, .overlay)
            l.append("  [\(e.id)]", .muted)
            out.append(l)
        }
        out += [StyledLine(), StyledLine("In prompts and menus", .heading),
                StyledLine("  Enter submits · Esc cancels · Backspace · C-u clears · C-w deletes a word", .overlay),
                StyledLine("  Menus: j/k or arrows, Enter, or the option's number · Confirm: y / n", .overlay),
                StyledLine("  Reply guard: o overrides with a reason (leads only)", .overlay),
                StyledLine("  Rebind keys in keys.conf: KEY = command-id (ids in brackets), KEY = none unbinds", .overlay)]
        return out
    }

    /// A box in the middle of the screen. The title goes in the top border as " title ", two columns
    /// in, so the box is at least title + 4 wide; a title too wide for the screen is wrapped above
    /// the lines instead. The cursor ends on the first of `lines`.
    static func centered(_ screen: inout Screen, _ s: ConsoleState, title: String, lines: [StyledLine]) {
        let maxInner = max(2, s.width - 4)
        let titleWidth = DisplayText.width(title)
        var body = lines
        var borderTitle = title
        var header = 0
        if titleWidth + 4 > maxInner {
            let wrapped = wrap(StyledLine(title, .heading), width: max(1, maxInner - 2)).map { l -> StyledLine in
                var padded = StyledLine(" ", .heading)
                padded.atoms += l.atoms
                return padded
            }
            body = wrapped + [StyledLine()] + lines
            borderTitle = ""
            header = wrapped.count + 1
        }
        let inner = min(maxInner, max(borderTitle.isEmpty ? 0 : titleWidth + 4, body.map(\.width).max() ?? 0))
        let w = inner + 2
        let h = min(s.height - 2, body.count + 2)
        let left = max(0, (s.width - w) / 2)
        let top = max(0, (s.height - h) / 2)
        box(&screen, title: borderTitle, lines: body, top: top, height: h, left: left, width: w, scroll: 0)
        screen.cursor = (row: min(top + 1 + header, top + h - 2), column: left + 1)
    }

    static func box(_ screen: inout Screen, title: String, lines: [StyledLine], top: Int, height: Int, left: Int, width: Int, scroll: Int) {
        guard height >= 2, width >= 4 else { return }
        let right = left + width - 1
        for y in top..<(top + height) { screen.fill(row: y, from: left, to: left + width, style: .overlay) }
        for x in left...right {
            screen.write("─", row: top, column: x, style: .overlay)
            screen.write("─", row: top + height - 1, column: x, style: .overlay)
        }
        for y in top..<(top + height) {
            screen.write("│", row: y, column: left, style: .overlay)
            screen.write("│", row: y, column: right, style: .overlay)
        }
        screen.write("┌", row: top, column: left, style: .overlay)
        screen.write("┐", row: top, column: right, style: .overlay)
        screen.write("└", row: top + height - 1, column: left, style: .overlay)
        screen.write("┘", row: top + height - 1, column: right, style: .overlay)
        if !title.isEmpty { screen.write(" " + title + " ", row: top, column: left + 2, maxWidth: width - 4, style: .heading) }
        let inner = height - 2
        let start = min(max(0, scroll), max(0, lines.count - inner))
        for i in 0..<inner where start + i < lines.count {
            let l = lines[start + i]
            if let f = l.fill { screen.fill(row: top + 1 + i, from: left + 1, to: right, style: f) }
            draw(&screen, l, row: top + 1 + i, column: left + 1, maxWidth: width - 2)
        }
        screen.cursor = (row: top + 1, column: left + 1)
    }
}
