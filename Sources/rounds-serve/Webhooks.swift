import Connections
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Store

/// The platforms' webhook endpoints. Each verifies the sender before reading the body as
/// anything but bytes, commits the raw bytes to the spool, and answers 200 only then.
struct Webhooks: Sendable {
    let connections: Connections
    let spool: SpoolWriter
    let metrics: ServerMetrics
    let logger: Logger
    /// The largest body taken: Meta batches up to 1,000 updates a request.
    static let maxBody = 8 << 20

    func add(to router: Router<BasicRequestContext>) {
        router.get("/webhooks/meta") { request, _ in metaHandshake(request) }
        router.get("/webhooks/x") { request, _ in xCRC(request) }
        post("/webhooks/meta", to: router, metaEvent)
        post("/webhooks/gbp", to: router, gbpPush)
        post("/webhooks/x", to: router, xEvent)
    }

    /// Every POST body is read whole (up to `maxBody`) before any answer: a response sent while
    /// the client is still sending can leave its connection hanging.
    private func post(_ path: RouterPath, to router: Router<BasicRequestContext>,
                      _ handler: @escaping @Sendable (Request, Data) async throws -> Response) {
        router.post(path) { request, _ in
            var request = request
            let body = Data(buffer: try await request.collectBody(upTo: Self.maxBody))
            return try await handler(request, body)
        }
    }

    // MARK: - Meta

    /// `GET ?hub.mode=subscribe&hub.verify_token=...&hub.challenge=...`: the challenge back, or 403.
    func metaHandshake(_ request: Request) -> Response {
        guard let meta = connections.meta else { return .plain(.notFound, "Meta is not configured\n") }
        let q = request.uri.queryParameters
        guard q.get("hub.mode") == "subscribe", let token = q.get("hub.verify_token"),
              Signatures.sameSecret(token, meta.verifyToken.reveal()) else {
            logger.warning("Meta verification refused: wrong verify token or mode")
            return .plain(.forbidden, "verification refused\n")
        }
        // Meta sends digits; anything else is not echoed into a response.
        guard let challenge = q.get("hub.challenge"), (1...256).contains(challenge.count),
              challenge.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            return .plain(.badRequest, "hub.challenge missing or not a plain token\n")
        }
        logger.info("Meta webhook verified")
        return .plain(.ok, challenge)
    }

    func metaEvent(_ request: Request, body: Data) async throws -> Response {
        guard let meta = connections.meta else { return .plain(.notFound, "Meta is not configured\n") }
        guard Signatures.validHexHMAC(request.headers[HTTPField.Name("X-Hub-Signature-256")!], body: body,
                                      secret: meta.appSecret.reveal()) else {
            metrics.signatureFailure("meta")
            logger.warning("Meta webhook refused: missing or wrong X-Hub-Signature-256", metadata: ["bytes": .stringConvertible(body.count)])
            return .plain(.unauthorized, "signature missing or wrong\n")
        }
        return try await keep(SpoolEntry(source: "meta", body: body), platform: "meta")
    }

    // MARK: - Google Business Profile (Pub/Sub push)

    func gbpPush(_ request: Request, body: Data) async throws -> Response {
        guard let gbp = connections.gbp, let token = gbp.pushToken else { return .plain(.notFound, "GBP push is not configured\n") }
        guard let given = request.uri.queryParameters.get("token"), Signatures.sameSecret(given, token.reveal()) else {
            metrics.signatureFailure("gbp")
            logger.warning("GBP push refused: missing or wrong token")
            return .plain(.unauthorized, "token missing or wrong\n")
        }
        guard let envelope = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any],
              let message = envelope["message"] as? [String: Any],
              let id = (message["messageId"] ?? message["message_id"]) as? String, !id.isEmpty, id.count <= 200 else {
            // Pub/Sub retries anything but 2xx: a body that is not a push is not theirs.
            return .plain(.badRequest, "not a Pub/Sub push (message.messageId missing)\n")
        }
        return try await keep(SpoolEntry(source: "gbp-push", body: body, dedupeKey: "gbp:" + id), platform: "gbp")
    }

    // MARK: - X (optional V2 webhook)

    /// `GET ?crc_token=`: `{"response_token":"sha256=<base64 HMAC>"}` with the consumer secret.
    func xCRC(_ request: Request) -> Response {
        guard let secret = connections.x?.webhookSecret else { return .plain(.notFound, "X webhook is not configured\n") }
        guard let crc = request.uri.queryParameters.get("crc_token"), !crc.isEmpty, crc.count <= 1024 else {
            return .plain(.badRequest, "crc_token missing\n")
        }
        let mac = HMAC<SHA256>.authenticationCode(for: Data(crc.utf8), using: SymmetricKey(data: Data(secret.reveal().utf8)))
        let token = "sha256=" + Data(mac).base64EncodedString()
        return Response(status: .ok, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(string: "{\"response_token\":\"\(token)\"}")))
    }

    func xEvent(_ request: Request, body: Data) async throws -> Response {
        guard let secret = connections.x?.webhookSecret else { return .plain(.notFound, "X webhook is not configured\n") }
        guard Signatures.validBase64HMAC(request.headers[HTTPField.Name("x-twitter-webhooks-signature")!], body: body,
                                         secret: secret.reveal()) else {
            metrics.signatureFailure("x")
            logger.warning("X webhook refused: missing or wrong x-twitter-webhooks-signature")
            return .plain(.unauthorized, "signature missing or wrong\n")
        }
        return try await keep(SpoolEntry(source: "x", body: body), platform: "x")
    }

    // MARK: -

    /// 200 once the body is committed; 503 if the inbox cannot take it (the platform retries).
    private func keep(_ entry: SpoolEntry, platform: String) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        do {
            let new = try await spool.keep(entry)
            metrics.acknowledged(platform, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            return .plain(.ok, new ? "EVENT_RECEIVED\n" : "EVENT_RECEIVED (repeat)\n")
        } catch {
            logger.error("cannot spool a webhook body; answered 503 so the platform retries",
                         metadata: ["platform": .string(platform), "error": .string("\(error)")])
            return .plain(.serviceUnavailable, "cannot store the event now; retry\n")
        }
    }
}

extension Response {
    static func plain(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// Signature and token checks, all in constant time.
enum Signatures {
    /// `sha256=<64 hex>` over the raw body (Meta).
    static func validHexHMAC(_ header: String?, body: Data, secret: String) -> Bool {
        guard let header, header.hasPrefix("sha256="), let mac = hexBytes(header.dropFirst(7)), mac.count == 32 else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: body, using: SymmetricKey(data: Data(secret.utf8)))
    }

    /// `sha256=<base64>` over the raw body (X).
    static func validBase64HMAC(_ header: String?, body: Data, secret: String) -> Bool {
        guard let header, header.hasPrefix("sha256="), let mac = Data(base64Encoded: String(header.dropFirst(7))), mac.count == 32 else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: body, using: SymmetricKey(data: Data(secret.utf8)))
    }

    /// Compares two secrets without leaking, through timing, how much of one matched: the
    /// digests are compared, in constant time, so not even the length shows.
    static func sameSecret(_ given: String, _ expected: String) -> Bool {
        SHA256.hash(data: Data(given.utf8)) == SHA256.hash(data: Data(expected.utf8))
    }

    static func hexBytes(_ s: Substring) -> Data? {
        guard s.count % 2 == 0 else { return nil }
        var out = Data(capacity: s.count / 2)
        var it = s.utf8.makeIterator()
        while let a = it.next(), let b = it.next() {
            guard let hi = hexValue(a), let lo = hexValue(b) else { return nil }
            out.append(hi << 4 | lo)
        }
        return out
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }
}
