import Foundation
import Prometheus

/// What `/metrics` reports, in Prometheus's text format. Labels are fixed words chosen here,
/// never text from a request.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    private func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "rounds", metricName: metric, unitName: unit, helpText: help)
    }

    private func counter(_ metric: String, _ unit: String = "total", help: String, _ labels: [(String, String)]) -> Counter {
        registry.makeCounter(descriptor: name(metric, unit, help), labels: labels)
    }

    func request(endpoint: String, status: Int) {
        counter("http_requests", help: "HTTP requests by endpoint and status", [("endpoint", endpoint), ("status", String(status))]).increment()
    }

    func signatureFailure(_ platform: String) {
        counter("webhook_signature_failures", help: "Webhook requests refused for a missing or wrong signature or token",
                [("platform", platform)]).increment()
    }

    func acknowledged(_ platform: String, seconds: Double) {
        registry.makeDurationHistogram(descriptor: name("webhook_ack", "seconds", "Time from a webhook request to its 200 (body committed)"),
                                       labels: [("platform", platform)],
                                       buckets: [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                                                 .milliseconds(100), .milliseconds(250), .seconds(1)])
            .recordNanoseconds(Int64(seconds * 1e9))
    }

    func spool(depth: Int, oldestAgeSeconds: Double) {
        registry.makeGauge(descriptor: name("spool_depth", "", "Webhook bodies acknowledged and waiting for ingest")).set(Double(depth))
        registry.makeGauge(descriptor: name("ingest_lag", "seconds", "Age of the oldest webhook body waiting for ingest")).set(oldestAgeSeconds)
    }

    func ingested(new: Int, updated: Int, duplicates: Int, rejected: Int, skipped: Int) {
        for (outcome, n) in [("new", new), ("updated", updated), ("duplicate", duplicates), ("rejected", rejected), ("skipped", skipped)] where n > 0 {
            counter("ingested", help: "Records ingested from webhooks and polls, by outcome", [("outcome", outcome)]).increment(by: Int64(n))
        }
    }

    func poll(stream: String, result: String) {
        counter("poll_results", help: "Poll requests by stream and result (ok, rate_limited, error, auth)",
                [("stream", stream), ("result", result)]).increment()
    }

    func rateLimitWait(_ platform: String, seconds: Double) {
        counter("rate_limit_waits", help: "Times a poller waited for a platform's rate limit", [("platform", platform)]).increment()
        counter("rate_limit_wait_seconds", help: "Seconds waited for platforms' rate limits", [("platform", platform)]).increment(by: seconds)
    }

    func tokenRefresh(_ platform: String, result: String) {
        counter("token_refreshes", help: "OAuth access token requests by result", [("platform", platform), ("result", result)]).increment()
    }

    func delivery(platform: String, action: String, result: String, seconds: Double) {
        counter("deliveries", help: "Delivery attempts by platform, action and result (sent, retrying, failed, paused)",
                [("platform", platform), ("action", action), ("result", result)]).increment()
        registry.makeDurationHistogram(descriptor: name("delivery_attempt", "seconds", "Time one delivery attempt took"),
                                       labels: [("platform", platform)],
                                       buckets: [.milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                                                 .seconds(1), .seconds(5), .seconds(30)])
            .recordNanoseconds(Int64(seconds * 1e9))
    }

    func outbox(_ counts: [String: Int]) {
        for state in ["pending", "ready", "sending", "retrying", "failed"] {
            registry.makeGauge(descriptor: name("outbox", "", "Outbox entries by delivery state"), labels: [("state", state)])
                .set(Double(counts[state] ?? 0))
        }
    }

    func page(kind: String, event: String, result: String) {
        counter("pages", help: "Pages to on-call targets by kind, event (trigger, resolve) and result (sent, failed)",
                [("kind", kind), ("event", event), ("result", result)]).increment()
    }

    func text() -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
