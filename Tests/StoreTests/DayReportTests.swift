import Foundation
import InboxModel
@testable import Store
import XCTest

/// Topic surges and response figures of the end-of-day report.
final class DayReportTests: XCTestCase {
    func testSurgesAreWhatIsUnusuallyFrequentToday() {
        var baseline: [(Int64, String)] = []
        for i in 0..<70 { baseline.append((Int64(i), "thank you to the hospital nurses for the great care \(i)")) }
        var today: [(Int64, String)] = []
        let asks = ["@rivermedical when can I get a flu shot?", "do you have a flu shot clinic for kids", "flu shot walk in today?",
                    "where do I get my flu shot", "is the flu shot free this year", "cuanto cuesta la flu shot"]
        for i in 0..<30 { today.append((Int64(100 + i), asks[i % asks.count] + " \(i)")) }
        for i in 0..<10 { today.append((Int64(200 + i), "thank you to the hospital nurses for the great care \(i)")) }
        for i in 0..<6 { today.append((Int64(300 + i), "is the parking garage closed again")) }
        let surges = InboxDatabase.surges(in: today, baseline: baseline, baselineDays: 7, stopWords: ["the", "for", "can", "when", "again"])
        let topics = surges.map(\.topic)
        XCTAssertEqual(surges.first?.topic, "flu shot")
        XCTAssertEqual(surges.first?.messages, 30)
        XCTAssertEqual(topics.count, 2, "\(topics)")
        XCTAssertTrue(topics[1].contains("garage"), "the garage closure is the second surge: \(topics)")
        XCTAssertEqual(surges[1].messages, 6)
        XCTAssertFalse(topics.contains("nurses"), "an everyday word is no surge: \(topics)")
        XCTAssertFalse(topics.contains("flu"), "a word covered by its pair is not repeated: \(topics)")
        XCTAssertFalse(topics.contains { $0.contains("rivermedical") }, "handles are not topics")
    }

    func testResponseTimesAndBreaches() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rounds-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let inbox = try InboxDatabase(path: dir.appendingPathComponent("r.sqlite").path)
        let start = Date().addingTimeInterval(-3 * 3600)
        let emergency = Classification(language: "en", sentiment: .negative, flags: [FlagHit(flag: .emergency, decision: .act, score: 1, severity: "imminent", evidence: [])], template: nil)
        try inbox.store((0..<3).map { i in
            ClassifiedMessage(IncomingMessage(platform: .messenger, kind: .dm, externalID: "e\(i)", text: "help", receivedAt: start), classification: emergency)
        })
        // Answered after 5 and 30 minutes; the third is still open after three hours.
        let ms = Int64(start.timeIntervalSince1970 * 1000)
        try inbox.pool.write { db in
            for (id, minutes) in [(Int64(1), Int64(5)), (2, 30)] {
                try InboxDatabase.appendAudit(AuditEvent(at: ms + minutes * 60_000, moderator: "al", role: "lead", action: "reply_queued", messageID: id), in: db)
            }
        }
        let r = try inbox.dayReport(from: start.addingTimeInterval(-60), to: Date().addingTimeInterval(60), timeZone: TimeZone(identifier: "UTC")!,
                                    targets: ["emergency": 15], stopWords: [])
        let e = try XCTUnwrap(r.responses.first { $0.flag == "emergency" })
        XCTAssertEqual(e.messages, 3)
        XCTAssertEqual(e.answered, 2)
        XCTAssertEqual(e.medianMinutes ?? 0, 30, accuracy: 0.01) // of [5, 30]: index round(0.5) = 1
        XCTAssertEqual(e.breaches, 2, "30 minutes is over the 15-minute target, and one is still unanswered")
        XCTAssertEqual(r.urgentOpen.count, 3)
        XCTAssertEqual(r.received, 3)
    }
}
