import Foundation

/// One write transaction of ingest, in milliseconds: its wall time, the writer thread's time
/// on a CPU in it, and its time runnable but waiting for a CPU. The rest of the wall time it
/// was blocked: on the disk, a lock, or a CPU the hypervisor gave to another guest.
public struct WriteTiming: Sendable {
    public var ms: Double
    public var cpuMs = 0.0
    public var queuedMs = 0.0
    /// CPU time the hypervisor gave to other guests meanwhile, over all of this machine's
    /// CPUs (`/proc/stat`, in steps of 10 ms): what explains "blocked" on a shared machine.
    public var stolenMs = 0.0
    public init(ms: Double, cpuMs: Double = 0, queuedMs: Double = 0, stolenMs: Double = 0) {
        self.ms = ms; self.cpuMs = cpuMs; self.queuedMs = queuedMs; self.stolenMs = stolenMs
    }

    public var blockedMs: Double { max(0, ms - cpuMs - queuedMs) }
}

/// The calling thread's time on a CPU and waiting for one, in seconds, from Linux's
/// `/proc/thread-self/schedstat`; zeros where there is none.
public struct SchedulerTimes {
    public var onCPU = 0.0
    public var queued = 0.0

    public static func thisThread() -> SchedulerTimes {
        let ns = procNumbers("/proc/thread-self/schedstat")
        guard ns.count >= 2 else { return SchedulerTimes() }
        return SchedulerTimes(onCPU: ns[0] / 1e9, queued: ns[1] / 1e9)
    }
}

/// CPU time taken from this machine by its hypervisor since boot, in milliseconds, all CPUs
/// together (`steal` on `/proc/stat`'s first line, in 10 ms ticks); 0 where there is none.
public func machineStolenMs() -> Double {
    // cpu user nice system idle iowait irq softirq steal ...
    let fields = procNumbers("/proc/stat")
    guard fields.count > 7 else { return 0 }
    return fields[7] * 1000 / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// The numbers on the first line of a small /proc file (words that are not numbers skipped).
private func procNumbers(_ path: String) -> [Double] {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return [] }
    defer { close(fd) }
    var buf = [UInt8](repeating: 0, count: 256)
    let n = read(fd, &buf, buf.count)
    guard n > 0 else { return [] }
    let line = buf[..<n].prefix { $0 != UInt8(ascii: "\n") }
    return line.split(separator: UInt8(ascii: " ")).compactMap { Double(String(decoding: $0, as: UTF8.self)) }
}
