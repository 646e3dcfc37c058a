import Foundation
import Ingest
@testable import IngestPipeline
import Store
import XCTest

/// Ingest's pipeline on a real inbox file, with the parts a full run rarely reaches.
final class IngesterTests: XCTestCase {
    /// A batch whose transaction runs over the time budget is stored in more transactions:
    /// with no budget at all, one message each. Nothing is lost, nothing counted twice.
    func testBatchesOverTheTimeBudgetCommitInParts() throws {
        let tmp = try TempDir()
        var lines = (1...30).map { #"{"platform": "x", "kind": "mention", "id": "m\#($0)", "text": "my knee hurts \#($0)"}"# }
        lines.insert(#"{"platform": "x", "kind": "mention", "id": 7"#, at: 10)  // truncated: rejected
        let input = try tmp.write("in.jsonl", lines.joined(separator: "\n") + "\n")
        let inbox = try InboxDatabase(path: tmp.path("inbox.sqlite"))

        func ingest() throws -> Ingester {
            var ingester = Ingester(inbox: inbox, batchSize: 500, insertingBudget: .nanoseconds(0))
            let handle = try XCTUnwrap(FileHandle(forReadingAtPath: input))
            try ingester.ingest(IngestReader(name: "in.jsonl", handle: handle, format: .jsonl))
            try ingester.finish()
            return ingester
        }
        let first = try ingest()
        XCTAssertEqual(first.counts.new, 30)
        XCTAssertEqual(first.counts.rejected, 1)
        // 30 transactions of one message each, and the index merge after the first batch.
        XCTAssertEqual(first.transactions.count, 31)
        XCTAssertEqual(try inbox.stats().messages, 30)
        XCTAssertEqual(try inbox.stats().rejectedRecords, 1)

        let again = try ingest()
        XCTAssertEqual(again.counts.duplicates, 30)
        XCTAssertEqual(again.counts.new, 0)
        XCTAssertEqual(try inbox.stats().messages, 30)
    }

    /// The bench splits a slow transaction's time with these: they must read this thread's
    /// own figures (a parse error would read zeros and call everything "blocked").
    func testSchedulerTimesCountThisThreadsCPU() {
        // Spin until the thread's own CPU clock says it ran 30 ms, however long that takes on
        // a loaded machine: the figures from /proc must agree with it.
        func threadCPU() -> Double {
            var ts = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
            return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
        }
        let before = SchedulerTimes.thisThread()
        let cpu0 = threadCPU()
        var spins = 0
        while threadCPU() - cpu0 < 0.03 { spins += 1 }
        let after = SchedulerTimes.thisThread()
        XCTAssertGreaterThan(spins, 0)
        XCTAssertGreaterThan(after.onCPU - before.onCPU, 0.02)
        XCTAssertGreaterThanOrEqual(after.queued, before.queued)
        XCTAssertGreaterThanOrEqual(machineStolenMs(), 0)
    }
}
