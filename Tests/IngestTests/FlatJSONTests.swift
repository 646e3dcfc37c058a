import Foundation
@testable import Ingest
import XCTest

/// The fast path must read exactly what JSONSerialization reads, or step aside.
final class FlatJSONTests: XCTestCase {
    func same(_ json: String, file: StaticString = #filePath, line: UInt = #line) {
        let data = Data(json.utf8)
        let fast = FlatJSON.parse(data)
        let slow = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        XCTAssertNotNil(fast, "fast path should accept \(json)", file: file, line: line)
        XCTAssertEqual(fast.map { NSDictionary(dictionary: $0) }, slow.map { NSDictionary(dictionary: $0) }, file: file, line: line)
    }

    func testAgreesWithJSONSerialization() {
        same(#"{"a": "x", "b": 12345654332, "c": -1.5e3, "d": true, "e": false, "f": null}"#)
        same(#"{"t": "quote \" slash \\ \/ tab \t nl \n uni \u00e9 \ud83d\ude00 nul \u0000"}"#)
        same(#"  {}  "#)
        same(#"{"emoji": "👨‍👩‍👧", "es": "año"}"#)
    }

    func testStepsAsideForAnythingElse() {
        for json in [#"{"a": {"b": 1}}"#, #"{"a": [1]}"#, #"{"a": "x""#, #"{"a": "\ud800"}"#, #"{"a": 1} x"#,
                     #"{"a": 1, "a": 2}"#, "{\"a\": \"raw\ttab\"}", #"{"a": tru}"#, #"["a"]"#, #"{"a": "\q"}"#] {
            XCTAssertNil(FlatJSON.parse(Data(json.utf8)), json)
        }
    }
}
