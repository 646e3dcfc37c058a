import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A platform's answer, read whole (pages are small).
struct PlatformResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: Data

    func header(_ name: String) -> String? { headers.first(name: name) }
    var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
}

/// Why a call to a platform did not give an answer: the network, a timeout, a reset. Always
/// worth retrying later.
struct TransientFailure: Error, CustomStringConvertible {
    var description: String
}

/// Outbound calls, each with a deadline: connect 5 s, the whole exchange `timeout`.
final class PlatformHTTP: Sendable {
    let client: HTTPClient
    /// The longest any one exchange may take.
    let timeout: TimeAmount
    var timeoutSeconds: Double { Double(timeout.nanoseconds) / 1e9 }
    static let maxBody = 16 << 20

    init(timeoutSeconds: Int = 30) {
        timeout = .seconds(Int64(timeoutSeconds))
        var config = HTTPClient.Configuration()
        config.timeout = .init(connect: .seconds(5), read: timeout)
        config.redirectConfiguration = .disallow  // a redirect could carry a token elsewhere
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    func shutdown() async { try? await client.shutdown() }

    func send(_ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: Data? = nil) async throws -> PlatformResponse {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        request.headers.add(name: "User-Agent", value: "rounds-serve")
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await client.execute(request, timeout: timeout)
            let bytes = try await response.body.collect(upTo: Self.maxBody)
            return PlatformResponse(status: Int(response.status.code), headers: response.headers, body: Data(buffer: bytes))
        } catch {
            // The URL holds no secret (tokens travel in headers and bodies), but the error's
            // text is the network stack's: keep it short.
            throw TransientFailure(description: "\(Self.host(url)): \(String(describing: error).prefix(160))")
        }
    }

    static func host(_ url: String) -> String { URL(string: url)?.host ?? "platform" }

    /// `application/x-www-form-urlencoded` for token requests.
    static func form(_ fields: [(String, String)]) -> Data {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return Data(fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }
            .joined(separator: "&").utf8)
    }

    /// `value` as a URL query parameter.
    static func query(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}

/// Waits after a failure: 1 s doubling to `cap`, with full jitter, so many restarts do not
/// retry in step.
struct Backoff {
    var attempt = 0
    let cap: Double

    init(cap: Double = 300) { self.cap = cap }

    mutating func next() -> Double {
        defer { attempt += 1 }
        let ceiling = min(cap, pow(2, Double(min(attempt, 20))))
        return max(0.5, Double.random(in: 0...ceiling))
    }

    mutating func reset() { attempt = 0 }
}
