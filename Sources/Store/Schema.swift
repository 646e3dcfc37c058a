import GRDB
import InboxModel

/// The inbox schema, created and upgraded by versioned migrations.
///
/// Migrations are append-only: a released migration is never edited, a change is a new one.
public enum Schema {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-inbox", migrate: v1)
        m.registerMigration("v2-classification", migrate: v2)
        m.registerMigration("v3-moderation", migrate: v3)
        m.registerMigration("v4-handled-queues", migrate: v4)
        m.registerMigration("v5-batch-queue-counts", migrate: v5)
        m.registerMigration("v6-author-index-fts", migrate: v6)
        m.registerMigration("v7-handled-index-without-in-list", migrate: v7)
        m.registerMigration("v8-filters-from-the-lane-index", migrate: v8)
        m.registerMigration("v9-lighter-full-text-upkeep", migrate: v9)
        m.registerMigration("v10-team-in-the-inbox", migrate: v10)
        m.registerMigration("v11-published-policies", migrate: v11)
        m.registerMigration("v12-policy-version-of-each-act", migrate: v12)
        m.registerMigration("v13-live-connections", migrate: v13)
        m.registerMigration("v14-delivery-and-paging", migrate: v14)
        return m
    }

    /// What the migrations that rebuild an index took on a million-message inbox on the
    /// development machine, for the notice before an upgrade (`InboxDatabase.slowUpgrade`).
    static let secondsPerMillion = ["v8-filters-from-the-lane-index": 40, "v9-lighter-full-text-upkeep": 20]

    /// Messages, their edit history, the full-text index and rejected input.
    static func v1(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE message (
                id INTEGER PRIMARY KEY,
                platform TEXT NOT NULL,
                kind TEXT NOT NULL,
                external_id TEXT NOT NULL,
                post_id TEXT,
                parent_id TEXT,
                author_id TEXT,
                author_handle TEXT,
                author_name TEXT,
                text TEXT NOT NULL,
                language TEXT,
                rating INTEGER,
                received_at INTEGER NOT NULL,      -- Unix milliseconds, UTC
                visibility TEXT NOT NULL,
                state TEXT NOT NULL DEFAULT 'open',
                edited_at INTEGER,                  -- last edit seen from the platform
                removed_on_platform INTEGER NOT NULL DEFAULT 0,
                hidden_on_platform INTEGER NOT NULL DEFAULT 0,
                invalid_utf8 INTEGER NOT NULL DEFAULT 0,
                raw_payload TEXT,
                source_file TEXT,
                ingested_at INTEGER NOT NULL,
                UNIQUE (platform, external_id)
            );
            -- Partial indexes: open messages (most of them, and all new ones) stay out, so
            -- ingest does not pay for queues it never fills.
            CREATE INDEX message_by_state ON message (state, received_at DESC, id DESC) WHERE state != 'open';
            CREATE INDEX message_by_time ON message (received_at DESC, id DESC);
            CREATE INDEX message_by_author ON message (platform, author_id, received_at);
            CREATE INDEX message_by_parent ON message (platform, parent_id) WHERE parent_id IS NOT NULL;

            CREATE TABLE message_version (
                id INTEGER PRIMARY KEY,
                message_id INTEGER NOT NULL REFERENCES message(id),
                text TEXT NOT NULL,
                replaced_at INTEGER NOT NULL
            );
            CREATE INDEX message_version_by_message ON message_version (message_id);

            CREATE VIRTUAL TABLE message_fts USING fts5(
                text, author_handle, author_name,
                content = 'message', content_rowid = 'id',
                tokenize = 'unicode61 remove_diacritics 2'
            );
            -- New rows are indexed by InboxDatabase.indexNewMessages, one statement per batch:
            -- an insert trigger would make FTS5 flush a segment for every row (it syncs at
            -- each statement's savepoint), which multiplies the pages written tenfold.
            CREATE TRIGGER message_fts_delete AFTER DELETE ON message BEGIN
                INSERT INTO message_fts (message_fts, rowid, text, author_handle, author_name)
                VALUES ('delete', old.id, old.text, old.author_handle, old.author_name);
            END;
            CREATE TRIGGER message_fts_update AFTER UPDATE OF text, author_handle, author_name ON message BEGIN
                INSERT INTO message_fts (message_fts, rowid, text, author_handle, author_name)
                VALUES ('delete', old.id, old.text, old.author_handle, old.author_name);
                INSERT INTO message_fts (rowid, text, author_handle, author_name)
                VALUES (new.id, new.text, new.author_handle, new.author_name);
            END;

            CREATE TABLE rejected_record (
                id INTEGER PRIMARY KEY,
                source_file TEXT NOT NULL,
                line INTEGER NOT NULL,
                location TEXT,
                reason TEXT NOT NULL,
                raw BLOB NOT NULL,
                rejected_at INTEGER NOT NULL
            );
            """)
    }

    /// What the classifier said: the lane and priority the queues sort by, one row per flag
    /// for filters and counts, and the full evidence as JSON for the detail view.
    static func v2(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE message ADD COLUMN lane TEXT NOT NULL DEFAULT 'new';
            ALTER TABLE message ADD COLUMN priority INTEGER NOT NULL DEFAULT 3;
            ALTER TABLE message ADD COLUMN sentiment TEXT;
            ALTER TABLE message ADD COLUMN classification TEXT;
            ALTER TABLE message ADD COLUMN policy_version TEXT;
            CREATE INDEX message_by_lane ON message (lane, state, priority, received_at DESC, id DESC);

            CREATE TABLE message_flag (
                message_id INTEGER NOT NULL REFERENCES message(id),
                flag TEXT NOT NULL,
                decision TEXT NOT NULL,
                score REAL NOT NULL,
                severity TEXT,
                category TEXT,
                PRIMARY KEY (message_id, flag)
            ) WITHOUT ROWID;
            CREATE INDEX message_flag_by_flag ON message_flag (flag, decision);

            CREATE TABLE setting (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            """)
    }

    /// Moderation: claims with a lease, snoozes, live queue counters, the outbox, and the
    /// audit log (append-only, hash-chained).
    static func v3(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE message ADD COLUMN claimed_by TEXT;
            ALTER TABLE message ADD COLUMN claim_expires_at INTEGER;
            ALTER TABLE message ADD COLUMN snoozed_until INTEGER;
            CREATE INDEX message_by_claim ON message (claimed_by, priority, received_at DESC, id DESC)
                WHERE claimed_by IS NOT NULL;

            -- Counts per (lane, state), kept by triggers so the queue bar never scans the inbox.
            CREATE TABLE queue_count (lane TEXT NOT NULL, state TEXT NOT NULL, n INTEGER NOT NULL,
                PRIMARY KEY (lane, state)) WITHOUT ROWID;
            INSERT INTO queue_count (lane, state, n)
                SELECT l.value, s.value, 0
                FROM json_each('["urgent","phi","symptoms","offensive","reviews","new"]') l,
                     json_each('["open","snoozed","done","hidden","deleted"]') s;
            UPDATE queue_count SET n = (SELECT count(*) FROM message m
                WHERE m.lane = queue_count.lane AND m.state = queue_count.state);
            CREATE TRIGGER queue_count_insert AFTER INSERT ON message BEGIN
                UPDATE queue_count SET n = n + 1 WHERE lane = new.lane AND state = new.state;
            END;
            CREATE TRIGGER queue_count_update AFTER UPDATE OF lane, state ON message
                WHEN old.lane IS NOT new.lane OR old.state IS NOT new.state BEGIN
                UPDATE queue_count SET n = n - 1 WHERE lane = old.lane AND state = old.state;
                UPDATE queue_count SET n = n + 1 WHERE lane = new.lane AND state = new.state;
            END;
            CREATE TRIGGER queue_count_delete AFTER DELETE ON message BEGIN
                UPDATE queue_count SET n = n - 1 WHERE lane = old.lane AND state = old.state;
            END;

            -- Replies waiting to leave. At most one live (not cancelled) reply per message:
            -- two moderators can never both answer the same message.
            CREATE TABLE outbox (
                id INTEGER PRIMARY KEY,
                message_id INTEGER NOT NULL REFERENCES message(id),
                moderator TEXT NOT NULL,
                platform TEXT NOT NULL,
                visibility TEXT NOT NULL,
                text TEXT NOT NULL,
                template_id TEXT,
                override_reason TEXT,
                state TEXT NOT NULL,              -- pending | ready | cancelled
                created_at INTEGER NOT NULL,
                release_at INTEGER NOT NULL,
                released_at INTEGER
            );
            CREATE UNIQUE INDEX outbox_one_live_reply ON outbox (message_id) WHERE state != 'cancelled';
            CREATE INDEX outbox_by_state ON outbox (state, id);

            -- The audit log: every moderator action, append-only and hash-chained.
            CREATE TABLE action (
                id INTEGER PRIMARY KEY,
                at INTEGER NOT NULL,                -- Unix milliseconds, UTC
                moderator TEXT NOT NULL,
                role TEXT NOT NULL,
                action TEXT NOT NULL,
                message_id INTEGER,
                reason_code TEXT,
                template_id TEXT,
                rule_ids TEXT,
                detail TEXT,
                state_before TEXT,
                state_after TEXT,
                outbox_id INTEGER,
                undoes INTEGER,
                prev_hash TEXT NOT NULL,
                hash TEXT NOT NULL
            );
            -- (message_id, at, action) answers "first handling action" from the index alone.
            CREATE INDEX action_by_message ON action (message_id, at, action);
            CREATE INDEX action_by_time ON action (at, id);
            CREATE INDEX action_by_outbox ON action (outbox_id) WHERE outbox_id IS NOT NULL;
            CREATE INDEX action_by_undo ON action (undoes) WHERE undoes IS NOT NULL;
            CREATE TRIGGER action_is_append_only_update BEFORE UPDATE ON action BEGIN
                SELECT RAISE(ABORT, 'the audit log is append-only');
            END;
            CREATE TRIGGER action_is_append_only_delete BEFORE DELETE ON action BEGIN
                SELECT RAISE(ABORT, 'the audit log is append-only');
            END;
            """)
    }

    /// The Done queue in time order without scanning the inbox: handled messages only, in the
    /// order the queue shows them. (Its condition must match the queue's query exactly.)
    static func v4(_ db: Database) throws {
        try db.execute(sql: """
            CREATE INDEX message_handled ON message (received_at DESC, id DESC)
                WHERE state IN ('done', 'hidden', 'deleted');
            """)
    }

    /// New messages are counted once per ingest batch (`InboxDatabase.store`), not by a trigger
    /// per row: a trigger made SQLite open a statement journal for every insert, a quarter of
    /// ingest's write time. Moving and removing messages are still counted by triggers.
    static func v5(_ db: Database) throws {
        try db.execute(sql: "DROP TRIGGER queue_count_insert")
    }

    /// An author's messages are found through a full-text index of one token per message
    /// (platform and author id, hex-encoded), not a B-tree index. Authors arrive in random
    /// order, so the B-tree rewrote about one page per message at each commit, most of ingest's
    /// time at a million messages. FTS5 writes each batch as one new segment and merges
    /// segments sequentially.
    ///
    /// Both full-text indexes stop merging by themselves: FTS5's automatic merges came in
    /// bursts inside one ingest transaction. Ingest merges a bounded amount after
    /// every batch instead (`InboxDatabase.settleNewMessages`).
    static func v6(_ db: Database) throws {
        try db.execute(sql: """
            INSERT INTO message_fts (message_fts, rank) VALUES ('automerge', 0);
            DROP INDEX message_by_author;
            CREATE VIRTUAL TABLE author_index USING fts5(author_key, content = '', detail = 'none', columnsize = 0);
            INSERT INTO author_index (author_index, rank) VALUES ('automerge', 0);
            INSERT INTO author_index (rowid, author_key)
                SELECT id, \(authorKey(platform: "platform", author: "author_id")) FROM message WHERE author_id IS NOT NULL;
            DROP TRIGGER message_fts_delete;
            CREATE TRIGGER message_fts_delete AFTER DELETE ON message BEGIN
                INSERT INTO message_fts (message_fts, rowid, text, author_handle, author_name)
                VALUES ('delete', old.id, old.text, old.author_handle, old.author_name);
                INSERT INTO author_index (author_index, rowid, author_key)
                SELECT 'delete', old.id, \(authorKey(platform: "old.platform", author: "old.author_id"))
                WHERE old.author_id IS NOT NULL;
            END;
            """)
    }

    /// The Done queue's index, on a condition SQLite checks with two comparisons: `state IN
    /// (three values)` built a temporary table for every inserted row to find it false, a
    /// fifth of an insert's cost. (The queue's query must use the same condition.)
    static func v7(_ db: Database) throws {
        try db.execute(sql: """
            DROP INDEX message_handled;
            CREATE INDEX message_handled ON message (received_at DESC, id DESC)
                WHERE state != 'open' AND state != 'snoozed';
            """)
    }

    /// Filters answered from indexes: each message's flags as bits (`FlagName.bit`, kept by
    /// ingest and reclassification beside `message_flag`), and platform, kind and language, at
    /// the end of the lane index. A filter then reads index entries, not rows. Flagged
    /// messages also have an index by flags, for a flag rare in a lane
    /// (`SQLiteConsoleStore.fewFlagged`), which walking the lane would read whole.
    static func v8(_ db: Database) throws {
        let bits = "CASE flag " + FlagName.allCases.map { "WHEN '\($0.rawValue)' THEN \($0.bit)" }.joined(separator: " ") + " ELSE 0 END"
        try db.execute(sql: """
            ALTER TABLE message ADD COLUMN flag_set INTEGER NOT NULL DEFAULT 0;
            UPDATE message SET flag_set = (SELECT sum(\(bits)) FROM message_flag WHERE message_id = message.id)
                WHERE id IN (SELECT message_id FROM message_flag);
            DROP INDEX message_by_lane;
            CREATE INDEX message_by_lane ON message (lane, state, priority, received_at DESC, id DESC,
                platform, kind, language, flag_set);
            CREATE INDEX message_flagged ON message (flag_set, lane, state, priority, received_at DESC, id DESC,
                platform, kind, language) WHERE flag_set != 0;
            """)
    }

    /// Less full-text upkeep per ingested message:
    /// - The text index no longer keeps each message's size in tokens (`columnsize = 0`):
    ///   only ranking reads it, and search orders by message, never by rank. Writing it was a
    ///   B-tree insert per message. The index is rebuilt for this.
    /// - Both indexes merge 16 segments at a time, not 4 (`usermerge`): an entry is copied
    ///   about half as often on its way to the big segments (log16 against log4 of their
    ///   number), and a search reads a few more, small segments.
    /// - FTS5 merges inside a batch only past 64 segments on a level (`crisismerge`, 16 by
    ///   default, would now come first): ingest's own merges keep well below it.
    /// - Flags are no longer indexed by name: filters read the flag bits (`v8`), and the counts
    ///   by flag in `rounds stats` scan the flags instead (0.26 s at a million messages).
    static func v9(_ db: Database) throws {
        try db.execute(sql: """
            DROP INDEX message_flag_by_flag;
            DROP TABLE message_fts;
            CREATE VIRTUAL TABLE message_fts USING fts5(
                text, author_handle, author_name,
                content = 'message', content_rowid = 'id',
                tokenize = 'unicode61 remove_diacritics 2', columnsize = 0
            );
            INSERT INTO message_fts (message_fts) VALUES ('rebuild');
            """)
        for index in ["message_fts", "author_index"] {
            try db.execute(sql: """
                INSERT INTO \(index) (\(index), rank) VALUES ('automerge', 0);
                INSERT INTO \(index) (\(index), rank) VALUES ('usermerge', 16);
                INSERT INTO \(index) (\(index), rank) VALUES ('crisismerge', 64);
                """)
        }
    }

    /// The team lives in the inbox, changed only by its leads (`TeamRoster`), not in a policies
    /// folder any user can copy. An inbox that was already in use (it has messages or audit
    /// events) still takes its team from the `team.yml` it was used with, once, on the next
    /// open by a command that reads the policies: `team_from_file_pending` marks that.
    static func v10(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE team_member (
                login TEXT PRIMARY KEY,
                role TEXT NOT NULL CHECK (role IN ('lead', 'moderator', 'trainee')),
                since INTEGER NOT NULL
            );
            INSERT INTO setting (key, value)
                SELECT 'team_from_file_pending', '1'
                WHERE EXISTS (SELECT 1 FROM message) OR EXISTS (SELECT 1 FROM action);
            """)
    }

    /// Policy sets a lead publishes into the inbox (`PolicyVersions`): every file's bytes, by
    /// version; `setting.policy_in_force` names the one in use.
    static func v11(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE policy_set (
                version TEXT PRIMARY KEY,
                published_at INTEGER NOT NULL,
                published_by TEXT NOT NULL,
                files INTEGER NOT NULL,
                summary TEXT NOT NULL
            );
            CREATE TABLE policy_set_file (
                version TEXT NOT NULL REFERENCES policy_set (version),
                path TEXT NOT NULL,
                bytes BLOB NOT NULL,
                PRIMARY KEY (version, path)
            );
            """)
    }

    /// Each audit row can name the policy version in force for the act (the reply guard that
    /// checked a reply). Rows without one hash as before (`AuditEvent.canonical`).
    static func v12(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE action ADD COLUMN policy_version TEXT")
    }

    /// `rounds serve`: webhook bodies kept before they are acknowledged (`spool`), where each
    /// poller has got to (`poll_cursor`), and each connection's last success and error
    /// (`connection_status`, read by the console's status line and `/readyz`). No secrets.
    static func v13(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE spool (
                id INTEGER PRIMARY KEY,
                source TEXT NOT NULL,            -- meta | x | gbp-push
                received_at INTEGER NOT NULL,    -- ms
                body BLOB NOT NULL,              -- the raw bytes the platform signed
                dedupe_key TEXT UNIQUE,          -- Pub/Sub messageId; NULL where the inbox's keys dedupe
                done_at INTEGER,                 -- ms; NULL while waiting for ingest
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at INTEGER NOT NULL DEFAULT 0,
                last_error TEXT
            );
            CREATE INDEX spool_waiting ON spool (next_attempt_at) WHERE done_at IS NULL;
            CREATE TABLE poll_cursor (
                stream TEXT PRIMARY KEY,         -- x.mentions, x.dm, gbp:accounts/1/locations/2
                cursor TEXT NOT NULL,            -- JSON, the poller's own
                updated_at INTEGER NOT NULL
            );
            CREATE TABLE connection_status (
                name TEXT PRIMARY KEY,           -- Meta | X | GBP
                state TEXT NOT NULL,             -- ok | error | rate_limited | reconnect
                detail TEXT NOT NULL DEFAULT '',
                until INTEGER,                   -- ms: rate limited or backing off until
                last_success_at INTEGER,
                last_error_at INTEGER,
                updated_at INTEGER NOT NULL
            );
            """)
    }

    /// Delivery and paging (`Delivery.swift`, `Paging.swift`):
    /// - The outbox carries every action bound for a platform, not only replies: `action` is
    ///   reply | hide | unhide | delete. Its states grow from pending | ready | cancelled to
    ///   pending -> ready -> sending (leased) -> sent | retrying | failed, or cancelled.
    ///   Still one live reply per message; hides and deletes are not limited.
    /// - `reconcile` marks an entry whose last send may have reached the platform (a crash or a
    ///   lost answer): the worker looks for it on the platform before sending again.
    /// - `delivery_account`: the pages and accounts `rounds serve` delivers through (ids only,
    ///   published by the server at start), read by the console to refuse what can never leave.
    /// - `page`: one row per emergency the on-call targets were told about, so a restart never
    ///   pages twice; `resolved_at` once the resolve was sent.
    static func v14(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE outbox ADD COLUMN action TEXT NOT NULL DEFAULT 'reply';
            ALTER TABLE outbox ADD COLUMN account TEXT;            -- page / account id it leaves through
            ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE outbox ADD COLUMN next_attempt_at INTEGER; -- ms; retrying
            ALTER TABLE outbox ADD COLUMN lease_owner TEXT;        -- sending: which worker
            ALTER TABLE outbox ADD COLUMN lease_until INTEGER;     -- ms
            ALTER TABLE outbox ADD COLUMN reconcile INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE outbox ADD COLUMN platform_ref TEXT;       -- the platform's id of what was sent
            ALTER TABLE outbox ADD COLUMN sent_at INTEGER;         -- ms
            ALTER TABLE outbox ADD COLUMN last_error TEXT;         -- the platform's reason, sanitised
            ALTER TABLE outbox ADD COLUMN error_code TEXT;
            DROP INDEX outbox_one_live_reply;
            CREATE UNIQUE INDEX outbox_one_live_reply ON outbox (message_id)
                WHERE state != 'cancelled' AND action = 'reply';
            CREATE INDEX outbox_by_message ON outbox (message_id);
            CREATE INDEX outbox_to_deliver ON outbox (state, id)
                WHERE state IN ('pending', 'ready', 'retrying', 'sending');
            CREATE TABLE delivery_account (
                platform TEXT NOT NULL,          -- facebook | instagram | x | gbp (Messenger uses facebook's page)
                account TEXT NOT NULL,           -- page id, Instagram account id, X user id, GBP location name
                human_agent INTEGER NOT NULL DEFAULT 0,
                paused_reason TEXT,              -- set on 190: needs reconnecting
                updated_at INTEGER NOT NULL,
                PRIMARY KEY (platform, account)
            ) WITHOUT ROWID;
            CREATE TABLE page (
                message_id INTEGER PRIMARY KEY REFERENCES message(id),
                reason TEXT NOT NULL,            -- unclaimed | escalated
                paged_at INTEGER NOT NULL,
                paged_by TEXT,
                targets TEXT NOT NULL DEFAULT '',
                resolved_at INTEGER
            );
            """)
    }

    /// The SQL expression of an author's key in `author_index`, from two SQL expressions (column
    /// names or `?`). One token: a letter and hex digits, which the tokenizer keeps whole and
    /// the query syntax reads as a plain word. Never change it: stored keys must still match.
    public static func authorKey(platform: String, author: String) -> String {
        "'a' || hex(substr(\(platform) || ' ' || \(author), 1, 256))"
    }
}
