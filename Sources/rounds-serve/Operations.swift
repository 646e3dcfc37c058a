import Foundation
import Hummingbird
import InboxModel
import Store

/// `/healthz`, `/readyz` and `/metrics`, for the operator's monitoring.
struct Operations: Sendable {
    let inbox: InboxDatabase
    let policies: PoliciesInForce
    let health: Health
    let metrics: ServerMetrics
    let configured: [String]

    func add(to router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ in Response.plain(.ok, "ok\n") }
        router.get("/readyz") { _, _ in try await readiness() }
        router.get("/metrics") { _, _ in
            let depth = try? await blocking { [inbox] in try inbox.spoolDepth() }
            if let depth {
                metrics.spool(depth: depth.count, oldestAgeSeconds: depth.oldestReceivedAt.map { Double(AuditEvent.nowMs() - $0) / 1000 } ?? 0)
            }
            if let counts = try? await blocking({ [inbox] in try inbox.deliveryCounts() }) { metrics.outbox(counts) }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: .init(byteBuffer: ByteBuffer(string: metrics.text())))
        }
    }

    /// 200 when the inbox takes writes and a published policy set is in force; the body says
    /// each connection's last success and error either way.
    func readiness() async throws -> Response {
        let writable: String? = await {
            do {
                try await blocking { [inbox] in try inbox.checkWritable() }
                return nil
            } catch { return "\(error)" }
        }()
        _ = policies.current()  // notices a set published since the last look
        let published = policies.published
        var out = "{\"ready\":\(writable == nil && published),\"inbox\":"
        out.appendJSONString(writable.map { "not writable: \($0)" } ?? "writable")
        out += ",\"policies\":"
        out.appendJSONString(policies.description)
        out += ",\"connections\":["
        let statuses = Dictionary(uniqueKeysWithValues: health.statuses.map { ($0.name, $0) })
        out += configured.map { name -> String in
            var o = "{\"name\":"
            o.appendJSONString(name)
            guard let s = statuses[name] else { return o + ",\"state\":\"starting\"}" }
            o += ",\"state\":"
            o.appendJSONString(s.state.rawValue)
            o += ",\"detail\":"
            o.appendJSONString(s.detail)
            o += ",\"last_success\":" + (s.lastSuccessAt.map { "\"\(UTCTime.iso($0 / 1000))\"" } ?? "null")
            o += ",\"last_error\":" + (s.lastErrorAt.map { "\"\(UTCTime.iso($0 / 1000))\"" } ?? "null")
            o += ",\"until\":" + (s.until.map { "\"\(UTCTime.iso($0 / 1000))\"" } ?? "null")
            return o + "}"
        }.joined(separator: ",")
        out += "]}\n"
        return Response(status: writable == nil && published ? .ok : .serviceUnavailable,
                        headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: out)))
    }
}
