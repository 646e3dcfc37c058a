import Console
import Foundation
import GRDB
import InboxModel
import Store

/// Moderator actions: each state change and its audit row commit in one transaction.
extension SQLiteConsoleStore {
    public func perform(_ command: ModeratorCommand, moderator: String) -> Result<CommandReceipt, Refusal> {
        do {
            return .success(try inbox.moderatorWrite { db in
                actingRole = try roleInside(db, moderator: moderator)
                return try self.apply(command, moderator: moderator, in: db)
            })
        } catch let r as Refusal {
            return .failure(r)
        } catch let e as DatabaseError where e.resultCode == .SQLITE_BUSY || e.resultCode == .SQLITE_LOCKED {
            return .failure(Refusal("The inbox is busy; nothing was changed. Try again."))
        } catch {
            return .failure(Refusal("Nothing was changed: \(error)"))
        }
    }

    /// The moderator's role, read in the transaction that carries out the action: the team in
    /// the inbox decides, whatever role this store was opened with. An inbox without a team
    /// (a synthetic one, or one in a test) takes the role the store was opened with.
    private func roleInside(_ db: Database, moderator: String) throws -> String {
        try InboxDatabase.teamRole(of: moderator, in: db)?.rawValue ?? role
    }

    private struct Target {
        var id: Int64
        var state: String
        var platform: String
        var claimedBy: String?
        var flags: String?
    }

    private func target(_ id: Int64, moderator: String, in db: Database, mayBeClaimedByOthers: Bool = false) throws -> Target {
        guard let r = try Row.fetchOne(db, sql: """
            SELECT id, state, platform, claimed_by, claim_expires_at,
                (SELECT group_concat(flag, ',') FROM message_flag WHERE message_id = message.id) AS flags
            FROM message WHERE id = ?
            """, arguments: [id]) else { throw Refusal("That message no longer exists.") }
        let expiry: Int64 = r["claim_expires_at"] ?? 0
        let holder: String? = expiry > Self.ms(now()) ? r["claimed_by"] : nil
        if let holder, holder != moderator, !mayBeClaimedByOthers {
            throw Refusal("Claimed by \(holder); ask them or wait for the claim to expire.")
        }
        return Target(id: id, state: r["state"], platform: r["platform"], claimedBy: holder, flags: r["flags"])
    }

    /// Moving a message to a new state; keeps the claim alive for the moderator working on it.
    private func setState(_ t: Target, _ state: String, moderator: String, in db: Database, snoozedUntil: Int64? = nil) throws {
        try db.execute(sql: "UPDATE message SET state = ?, snoozed_until = ? WHERE id = ?", arguments: [state, snoozedUntil, t.id])
        try renewClaim(t, moderator: moderator, in: db)
    }

    private func renewClaim(_ t: Target, moderator: String, in db: Database) throws {
        if t.claimedBy == moderator {
            try db.execute(sql: "UPDATE message SET claim_expires_at = ? WHERE id = ?", arguments: [Self.ms(now().addingTimeInterval(claimLease)), t.id])
        }
    }

    private func event(_ action: String, _ t: Target?, moderator: String, after: String? = nil) -> AuditEvent {
        AuditEvent(at: Self.ms(now()), moderator: moderator, role: actingRole, action: action, messageID: t?.id,
                   ruleIDs: t?.flags, stateBefore: t?.state, stateAfter: after ?? t?.state, policyVersion: policyVersion())
    }

    private func requireRole(_ allowed: Set<String>, _ what: String) throws {
        guard allowed.contains(actingRole) else { throw Refusal("Your role (\(actingRole)) cannot \(what).") }
    }

    private static let actors: Set<String> = ["lead", "moderator"]

    private func apply(_ command: ModeratorCommand, moderator: String, in db: Database) throws -> CommandReceipt {
        let now = Self.ms(self.now())
        switch command {
        case let .queueReply(id, text, templateID, visibility, override):
            return try queueReply(id, text: text, templateID: templateID, visibility: visibility, override: override, moderator: moderator, now: now, in: db)
        case let .cancelReply(outbox):
            return try cancel(outbox: outbox, moderator: moderator, undoing: nil, in: db)
        case let .releaseReply(outbox):
            return try release(outbox: outbox, moderator: moderator, now: now, in: db)
        case let .hide(id, reason):
            return try remove(id, reason: reason, deleting: false, moderator: moderator, in: db)
        case let .delete(id, reason):
            return try remove(id, reason: reason, deleting: true, moderator: moderator, in: db)
        case let .escalate(id, contact, note):
            return try escalate(id, contact: contact, note: note, moderator: moderator, in: db)
        case let .markDone(id):
            return try markDone(id, moderator: moderator, in: db)
        case let .claim(id):
            return try claim(id, moderator: moderator, now: now, in: db)
        case let .unclaim(id):
            return try unclaim(id, moderator: moderator, in: db)
        case let .snooze(id, until):
            return try snooze(id, until: until, moderator: moderator, in: db)
        case let .note(id, text):
            return try note(id, text: text, moderator: moderator, in: db)
        case let .undo(actionID):
            return try undo(actionID, moderator: moderator, in: db)
        case let .retryDelivery(outbox):
            return try retryDelivery(outbox: outbox, moderator: moderator, now: now, in: db)
        case let .cancelDelivery(outbox):
            return try cancelDelivery(outbox: outbox, moderator: moderator, now: now, in: db)
        }
    }

    /// One reply per message: it waits in the outbox as `pending` for the undo window.
    private func queueReply(_ id: Int64, text: String, templateID: String?, visibility: Visibility, override: String?,
                            moderator: String, now: Int64, in db: Database) throws -> CommandReceipt {
        try requireRole(Self.actors, "reply")
        if override != nil { try requireRole(["lead"], "override the reply guard") }
        let t = try target(id, moderator: moderator, in: db)
        guard t.state != "deleted" else { throw Refusal("This message was deleted; a reply cannot reach it.") }
        if let existing = try Row.fetchOne(db, sql: """
            SELECT moderator, state FROM outbox WHERE message_id = ? AND action = 'reply' AND state != 'cancelled'
            """, arguments: [id]) {
            throw Refusal("Already answered by \(existing["moderator"] as String) (\(existing["state"] as String)); one reply per message.")
        }
        let route = try self.route(id, in: db)
        if let dt = route.target,
           let why = DeliveryRules.refusal(reply: text, visibility: visibility, to: dt, account: route.account,
                                           now: self.now(), windows: route.connected) {
            throw Refusal(why)
        }
        try db.execute(sql: """
            INSERT INTO outbox (message_id, moderator, platform, visibility, text, template_id, override_reason, state, created_at,
                                release_at, account)
            VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)
            """, arguments: [id, moderator, t.platform, visibility.rawValue, text, templateID, override, now,
                             now + Int64(undoWindow * 1000), route.account?.account])
        let outbox = db.lastInsertedRowID
        try setState(t, "done", moderator: moderator, in: db)
        if let override {
            var e = event("guard_override", t, moderator: moderator)
            e.detail = override
            e.templateID = templateID
            try InboxDatabase.appendAudit(e, in: db)
        }
        var e = event("reply_queued", t, moderator: moderator, after: "done")
        e.templateID = templateID
        e.outboxID = outbox
        e.detail = text
        let actionID = try InboxDatabase.appendAudit(e, in: db)
        return CommandReceipt(summary: "Reply queued (\(visibility == .private ? "PRIVATE" : "PUBLIC"))", undoableAction: actionID, outboxID: outbox)
    }

    /// The undo window is over: the reply may go to the platform.
    private func release(outbox: Int64, moderator: String, now: Int64, in db: Database) throws -> CommandReceipt {
        guard let o = try Row.fetchOne(db, sql: "SELECT message_id, state FROM outbox WHERE id = ?", arguments: [outbox]) else {
            throw Refusal("That reply is not in the outbox.")
        }
        guard (o["state"] as String) == "pending" else { throw Refusal("That reply is already \(o["state"] as String).") }
        try db.execute(sql: "UPDATE outbox SET state = 'ready', released_at = ? WHERE id = ?", arguments: [now, outbox])
        let t = try target(o["message_id"], moderator: moderator, in: db, mayBeClaimedByOthers: true)
        var e = event("reply_released", t, moderator: moderator)
        e.outboxID = outbox
        try InboxDatabase.appendAudit(e, in: db)
        return CommandReceipt(summary: "Reply released to the outbox")
    }

    /// The connection message `id`'s actions leave through. With no connection configured at all
    /// (a demo or a file-fed inbox) the outbox keeps what is queued; with connections but none
    /// for this message, nothing can leave, so nothing is queued.
    private func route(_ id: Int64, in db: Database) throws -> (target: DeliveryRules.Target?, account: DeliveryAccount?, connected: Bool) {
        let accounts = try InboxDatabase.deliveryAccounts(db)
        guard let dt = try InboxDatabase.deliveryTarget(messageID: id, in: db) else { return (nil, nil, false) }
        guard !accounts.isEmpty else { return (dt, nil, false) }
        guard let account = DeliveryRules.account(for: dt, among: accounts) else {
            throw Refusal("No connection for this message's \(dt.platform.label) page or account: it cannot be answered from Rounds. Add it to the connections file.")
        }
        return (dt, account, true)
    }

    /// Hide (moderators) or delete (leads), with the commenting policy's reason. The rule when
    /// actions overtake each other: a reply not yet on its way to a message that is now hidden or
    /// deleted is cancelled (a deleted one also cancels its pending hide), audited with the reason
    /// for the moderator who queued it; what already reached the platform stays.
    private func remove(_ id: Int64, reason: String, deleting: Bool, moderator: String, in db: Database) throws -> CommandReceipt {
        try requireRole(deleting ? ["lead"] : Self.actors, deleting ? "delete messages" : "hide messages")
        let t = try target(id, moderator: moderator, in: db)
        let after = deleting ? "deleted" : "hidden"
        guard t.state != after else { throw Refusal("Already \(after).") }
        let now = Self.ms(self.now())
        let verb = deleting ? "delete" : "hide"
        // With no connection for its page, the message is still hidden here (that is the
        // moderator's decision); the receipt says it stays up on the platform.
        var unrouted: String?
        let route: (target: DeliveryRules.Target?, account: DeliveryAccount?, connected: Bool)
        do { route = try self.route(id, in: db) } catch let r as Refusal {
            unrouted = r.message
            route = (nil, nil, false)
        }
        try setState(t, after, moderator: moderator, in: db)
        let cancelled = try InboxDatabase.cancelOvertaken(messageID: id, by: moderator, role: actingRole, because: after,
                                                          actions: deleting ? ["reply", "hide", "unhide"] : ["reply"], now: now, in: db)
        var e = event(verb, t, moderator: moderator, after: after)
        e.reasonCode = reason
        var summary = "\(deleting ? "Deleted" : "Hidden") (\(reason))"
        if let dt = route.target, DeliveryRules.platformCan(verb, dt) {
            e.outboxID = try queueAction(verb, messageID: id, platform: t.platform, account: route.account?.account, moderator: moderator,
                                         releaseAt: now + Int64(undoWindow * 1000), now: now, in: db)
        } else if let dt = route.target {
            summary += "; here only: \(dt.platform.label) does not let a page \(verb) this"
        }
        if unrouted != nil { summary += "; here only: no connection for its page" }
        if cancelled > 0 { summary += "; its queued reply was cancelled" }
        let actionID = try InboxDatabase.appendAudit(e, in: db)
        return CommandReceipt(summary: summary, undoableAction: actionID)
    }

    /// A hide, unhide or delete for the delivery worker, after `releaseAt`.
    private func queueAction(_ action: String, messageID: Int64, platform: String, account: String?, moderator: String,
                             releaseAt: Int64, now: Int64, in db: Database) throws -> Int64 {
        try db.execute(sql: """
            INSERT INTO outbox (message_id, moderator, platform, visibility, text, state, created_at, release_at, action, account)
            VALUES (?, ?, ?, 'public', '', 'pending', ?, ?, ?, ?)
            """, arguments: [messageID, moderator, platform, now, releaseAt, action, account])
        return db.lastInsertedRowID
    }

    /// Undoing a hide or delete takes back its platform action: cancelled if it has not left,
    /// an unhide if the hide was done; a delete done on the platform cannot be taken back.
    private func takeBack(outbox: Int64, undoing actionID: Int64, moderator: String, now: Int64, in db: Database) throws -> String? {
        guard let o = try Row.fetchOne(db, sql: "SELECT message_id, action, state, platform, account FROM outbox WHERE id = ?",
                                       arguments: [outbox]) else { return nil }
        let action: String = o["action"]
        switch o["state"] as String {
        case "pending", "ready", "retrying", "failed":
            try db.execute(sql: "UPDATE outbox SET state = 'cancelled', last_error = 'undone' WHERE id = ?", arguments: [outbox])
            var e = AuditEvent(at: now, moderator: moderator, role: actingRole, action: "delivery_cancelled", messageID: o["message_id"],
                               detail: "\(action) undone before it reached the platform")
            e.outboxID = outbox
            e.undoes = actionID
            try InboxDatabase.appendAudit(e, in: db)
            return nil
        case "sending":
            throw Refusal("The \(action) is reaching the platform right now; undo again in a moment.")
        case "sent" where action == "hide":
            _ = try queueAction("unhide", messageID: o["message_id"], platform: o["platform"], account: o["account"],
                                moderator: moderator, releaseAt: now, now: now, in: db)
            return "; unhiding it on the platform"
        case "sent":
            throw Refusal("Already deleted on the platform; it cannot be brought back.")
        default:
            return nil
        }
    }

    private func escalate(_ id: Int64, contact: String, note: String?, moderator: String, in db: Database) throws -> CommandReceipt {
        try requireRole(Self.actors, "escalate")
        let t = try target(id, moderator: moderator, in: db)
        try renewClaim(t, moderator: moderator, in: db)
        var e = event("escalate", t, moderator: moderator)
        e.detail = [contact, note].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
        try InboxDatabase.appendAudit(e, in: db)
        return CommandReceipt(summary: "Escalated to \(contact)")
    }

    private func markDone(_ id: Int64, moderator: String, in db: Database) throws -> CommandReceipt {
        try requireRole(Self.actors, "mark messages done")
        let t = try target(id, moderator: moderator, in: db)
        guard t.state != "done" else { throw Refusal("Already done.") }
        try setState(t, "done", moderator: moderator, in: db)
        let actionID = try InboxDatabase.appendAudit(event("done", t, moderator: moderator, after: "done"), in: db)
        return CommandReceipt(summary: "Done, no action needed", undoableAction: actionID)
    }

    private func claim(_ id: Int64, moderator: String, now: Int64, in db: Database) throws -> CommandReceipt {
        try requireRole(Self.actors, "claim messages")
        // One write that succeeds for one moderator only: free, mine, or expired.
        try db.execute(sql: """
            UPDATE message SET claimed_by = ?, claim_expires_at = ?
            WHERE id = ? AND (claimed_by IS NULL OR claimed_by = ? OR claim_expires_at <= ?)
            """, arguments: [moderator, now + Int64(claimLease * 1000), id, moderator, now])
        guard db.changesCount == 1 else {
            let holder = try String.fetchOne(db, sql: "SELECT claimed_by FROM message WHERE id = ?", arguments: [id])
            throw Refusal(holder.map { "Already claimed by \($0)." } ?? "That message no longer exists.")
        }
        let t = try target(id, moderator: moderator, in: db)
        let actionID = try InboxDatabase.appendAudit(event("claim", t, moderator: moderator), in: db)
        return CommandReceipt(summary: "Claimed for \(Int(claimLease / 60)) minutes", undoableAction: actionID)
    }

    private func unclaim(_ id: Int64, moderator: String, in db: Database) throws -> CommandReceipt {
        let t = try target(id, moderator: moderator, in: db)
        guard t.claimedBy == moderator else { throw Refusal("You have not claimed this message.") }
        try db.execute(sql: "UPDATE message SET claimed_by = NULL, claim_expires_at = NULL WHERE id = ?", arguments: [id])
        try InboxDatabase.appendAudit(event("release", t, moderator: moderator), in: db)
        return CommandReceipt(summary: "Released")
    }

    private func snooze(_ id: Int64, until: Date, moderator: String, in db: Database) throws -> CommandReceipt {
        try requireRole(Self.actors, "snooze messages")
        let t = try target(id, moderator: moderator, in: db)
        try setState(t, "snoozed", moderator: moderator, in: db, snoozedUntil: Self.ms(until))
        var e = event("snooze", t, moderator: moderator, after: "snoozed")
        e.detail = ISO8601DateFormatter().string(from: until)
        let actionID = try InboxDatabase.appendAudit(e, in: db)
        return CommandReceipt(summary: "Snoozed", undoableAction: actionID)
    }

    private func note(_ id: Int64, text: String, moderator: String, in db: Database) throws -> CommandReceipt {
        try requireRole(Self.actors.union(["trainee"]), "write notes")
        let t = try target(id, moderator: moderator, in: db, mayBeClaimedByOthers: true)
        var e = event("note", t, moderator: moderator)
        e.detail = text
        try InboxDatabase.appendAudit(e, in: db)
        return CommandReceipt(summary: "Note added")
    }

    private func cancel(outbox: Int64, moderator: String, undoing: Int64?, in db: Database) throws -> CommandReceipt {
        guard let o = try Row.fetchOne(db, sql: "SELECT message_id, state, moderator FROM outbox WHERE id = ?", arguments: [outbox]) else {
            throw Refusal("That reply is not in the outbox.")
        }
        guard (o["state"] as String) == "pending" else {
            throw Refusal("Too late: the reply is already \(o["state"] as String).")
        }
        let messageID: Int64 = o["message_id"]
        try db.execute(sql: "UPDATE outbox SET state = 'cancelled' WHERE id = ?", arguments: [outbox])
        // Back to the state it had before the reply.
        let before = try String.fetchOne(db, sql: "SELECT state_before FROM action WHERE outbox_id = ? AND action = 'reply_queued' ORDER BY id DESC LIMIT 1", arguments: [outbox]) ?? "open"
        let t = try target(messageID, moderator: moderator, in: db, mayBeClaimedByOthers: true)
        try db.execute(sql: "UPDATE message SET state = ? WHERE id = ?", arguments: [before, messageID])
        var e = event("reply_cancelled", t, moderator: moderator, after: before)
        e.outboxID = outbox
        e.undoes = undoing
        try InboxDatabase.appendAudit(e, in: db)
        return CommandReceipt(summary: "Reply cancelled before it left")
    }

    private func undo(_ actionID: Int64, moderator: String, in db: Database) throws -> CommandReceipt {
        guard let a = try Row.fetchOne(db, sql: "SELECT * FROM action WHERE id = ?", arguments: [actionID]).map(AuditEvent.init(row:)) else {
            throw Refusal("Nothing to undo.")
        }
        guard a.moderator == moderator else { throw Refusal("That was \(a.moderator)'s action; only they can undo it.") }
        if try Int.fetchOne(db, sql: "SELECT count(*) FROM action WHERE undoes = ?", arguments: [actionID]) ?? 0 > 0 {
            throw Refusal("Already undone.")
        }
        guard let messageID = a.messageID else { throw Refusal("That action cannot be undone.") }
        switch a.action {
        case "reply_queued":
            guard let outbox = a.outboxID else { throw Refusal("That reply is not in the outbox.") }
            return try cancel(outbox: outbox, moderator: moderator, undoing: actionID, in: db)
        case "hide", "delete", "done", "snooze":
            let t = try target(messageID, moderator: moderator, in: db)
            guard t.state == a.stateAfter else { throw Refusal("The message changed since; nothing was undone.") }
            var more = ""
            if let outbox = a.outboxID, ["hide", "delete"].contains(a.action) {
                more = try takeBack(outbox: outbox, undoing: actionID, moderator: moderator, now: Self.ms(now()), in: db) ?? ""
            }
            let before = a.stateBefore ?? "open"
            try db.execute(sql: "UPDATE message SET state = ?, snoozed_until = NULL WHERE id = ?", arguments: [before, messageID])
            var e = event("undo", t, moderator: moderator, after: before)
            e.undoes = actionID
            e.detail = a.action
            try InboxDatabase.appendAudit(e, in: db)
            return CommandReceipt(summary: "Undone: \(a.action)\(more)")
        case "claim":
            let t = try target(messageID, moderator: moderator, in: db)
            try db.execute(sql: "UPDATE message SET claimed_by = NULL, claim_expires_at = NULL WHERE id = ? AND claimed_by = ?", arguments: [messageID, moderator])
            var e = event("release", t, moderator: moderator)
            e.undoes = actionID
            try InboxDatabase.appendAudit(e, in: db)
            return CommandReceipt(summary: "Undone: claim")
        default:
            throw Refusal("\(a.action) cannot be undone.")
        }
    }
}
