import Foundation
import XCTest

/// The benchmark runs end to end on a small inbox and reports every figure. It asserts no
/// time: these machines are shared, and times belong in `rounds bench` runs, not in tests.
final class BenchCLITests: XCTestCase {
    func testBenchReportsEveryTargetAsJSON() throws {
        let policies = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Policies").path
        let out = try CLI.run(["bench", "--messages", "600", "--runs", "1", "--json", "--quick", "--policies", policies])
        XCTAssertEqual(out.status, 0, out.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any], out.stdout)
        let keys = ["messages", "ingest_msgs_per_s", "ingest_max_txn_ms", "classify_msgs_per_s_per_core", "classify_p99_us",
                    "classify_1mb_ms", "policy_load_ms", "console_start_ms", "sqlite3_first_page_ms", "key_nav_p99_ms",
                    "key_queue_p99_ms", "key_filter_p99_ms", "search_p95_ms", "console_rss_mb", "export_100k_s",
                    "sqlite3_export_100k_s", "action_p99_ms_during_ingest"]
        for k in keys {
            let v = try XCTUnwrap(object[k] as? Double, "missing \(k): \(out.stdout)")
            XCTAssertGreaterThan(v, 0, k)
        }
        XCTAssertEqual(object["messages"] as? Double, 600)
    }
}
