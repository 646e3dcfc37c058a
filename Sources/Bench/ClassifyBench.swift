import Foundation
import Policy

/// `rounds bench classify`: classification speed per core (CPU time of one thread), latency
/// per message, one 1 MB message, and loading the policies; medians over runs.
public struct ClassifyBench {
    public var policies: PolicySet
    public var runs: Int
    /// Short messages per run.
    public var messages: Int
    /// Also time one 1 MB message per run.
    public var large: Bool

    public init(policies: PolicySet, runs: Int, messages: Int, large: Bool) {
        self.policies = policies; self.runs = runs; self.messages = messages; self.large = large
    }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// CPU time of this thread: on a shared, loaded machine it measures the work, not the waiting.
    static func cpu() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// A seeded corpus of short social-media messages in English and Spanish.
    static func corpus(_ n: Int) -> [String] {
        let parts = [
            "My son has had a fever of 103 for two days, should I bring him in?",
            "The front desk staff were so rude and I waited 2 hours past my appointment.",
            "Dr. Patel was wonderful, highly recommend this clinic!",
            "I can't do this anymore, I want to end my life",
            "this wait is killing me lol",
            "Is the parking garage open on Sundays?",
            "Mi hija tiene fiebre y tos desde ayer, ¿qué hago?",
            "Excelente atención, las enfermeras muy amables",
            "you f*cking idiot, shut up",
            "Here's my SSN 123-45-6789 and my phone (617) 555-0100 please call me",
            "Check out my channel and subscribe!! http://example.com/x",
            "Thank you to the whole team for taking care of my mom last week ❤️",
            "What are your visiting hours?",
            "no tengo fiebre, solo quería saber el horario",
            "chest pain right now and my left arm is numb",
            "Flu shots available this weekend?",
        ]
        var rng: UInt64 = 0x9E3779B97F4A7C15
        var out: [String] = []
        out.reserveCapacity(n)
        for i in 0..<n {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            let a = parts[Int(rng >> 33) % parts.count]
            out.append(i % 3 == 0 ? a + " #\(i)" : a)
        }
        return out
    }

    public func run() throws {
        var loads: [Double] = []
        var set = policies
        for _ in 0..<max(1, runs) {
            let t0 = Self.cpu()
            set = try PolicySet.load(from: set.directory)
            loads.append(Double(Self.cpu() - t0) / 1e6)
        }
        let c = Classifier(policies: set)
        let msgs = Self.corpus(messages)
        var rates: [Double] = [], wallRates: [Double] = []
        var p99s: [Double] = [], p50s: [Double] = []
        var bigs: [Double] = [], bigWalls: [Double] = []
        // a 1 MB message: mixed text with identifiers, emoji and accents
        var big = ""
        let chunk = "Hola, my son has a fever 😷 and I can't breathe ｆｕｃｋ call (617) 555-0100 — número 12345 año señal. "
        while big.utf8.count < 1_000_000 { big += chunk }
        for m in msgs.prefix(2000) { _ = c.classify(m) }  // warm up
        for _ in 0..<max(1, runs) {
            // Throughput without a clock call per message (two clock reads cost about a microsecond).
            let w0 = Self.now()
            let t0 = Self.cpu()
            for m in msgs { _ = c.classify(m) }
            let total = Double(Self.cpu() - t0) / 1e9
            rates.append(Double(msgs.count) / total)
            wallRates.append(Double(msgs.count) / (Double(Self.now() - w0) / 1e9))
            // Latency per message, in a second pass over the same messages.
            var lat: [Double] = []
            lat.reserveCapacity(msgs.count)
            for m in msgs {
                let a = Self.cpu()
                _ = c.classify(m)
                lat.append(Double(Self.cpu() - a) / 1e3)
            }
            lat.sort()
            p99s.append(lat[min(lat.count - 1, Int(Double(lat.count) * 0.99))])
            p50s.append(lat[lat.count / 2])
            guard large else { continue }
            let b0 = Self.cpu()
            let bw = Self.now()
            _ = c.classify(big)
            bigs.append(Double(Self.cpu() - b0) / 1e6)
            bigWalls.append(Double(Self.now() - bw) / 1e6)
        }
        print("runs \(runs), \(msgs.count) short messages per run, single thread; CPU time of the thread (wall clock in brackets)")
        print(String(format: "throughput: %.0f msgs/s per core (median) [wall %.0f]", median(rates), median(wallRates)))
        print(String(format: "latency: p99 %.1f µs, p50 %.1f µs per message (medians over runs)", median(p99s), median(p50s)))
        // A text this long is read in segments on every core: its latency is the wall clock.
        if large { print(String(format: "1 MB message: %.1f ms wall (median) [CPU of the calling thread %.1f]", median(bigWalls), median(bigs))) }
        print(String(format: "policy load: %.1f ms (median)", median(loads)))
    }
}
