import Foundation
import InboxModel
@testable import Ingest
import XCTest

/// Real inbound platform payloads, kept in `Tests/Fixtures/platforms` (see its README).
let fixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/platforms")

/// Everything a reader produced from one input.
struct ReadResult {
    var messages: [IncomingMessage] = []
    var rejected: [RecordError] = []
    var skipped: [String] = []
}

func read(file url: URL, format: InputFormat = .auto, now: Date = Date(timeIntervalSince1970: 1_800_000_000)) throws -> ReadResult {
    let handle = try FileHandle(forReadingFrom: url)
    defer { try? handle.close() }
    var result = ReadResult()
    try IngestReader(name: url.lastPathComponent, handle: handle, format: format, now: now).read { item in
        switch item {
        case .message(let m): result.messages.append(m)
        case .rejected(let e): result.rejected.append(e)
        case .skipped(_, _, let reason): result.skipped.append(reason)
        }
    }
    return result
}

/// A valid Rounds JSON Lines record with this id, to put among bad ones.
func good(_ id: String) -> String {
    #"{"platform": "x", "kind": "mention", "id": "\#(id)", "text": "ok"}"#
}

/// Writes `data` to a fresh temporary file (removed by the test's teardown).
final class TempFiles {
    let dir: URL
    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("rounds-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    func file(_ name: String, _ data: Data) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }
    func file(_ name: String, _ text: String) throws -> URL { try file(name, Data(text.utf8)) }
    deinit { try? FileManager.default.removeItem(at: dir) }
}

func utc(_ iso: String) -> Date {
    let f = ISO8601DateFormatter()
    return f.date(from: iso)!
}
