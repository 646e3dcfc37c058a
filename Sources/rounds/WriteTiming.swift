import Foundation

/// One write transaction of ingest, in milliseconds: its wall time, the writer thread's time
/// on a CPU in it, and its time runnable but waiting for a CPU. The rest of the wall time it
/// was blocked: on the disk, a lock, or a CPU the hypervisor gave to another guest.
struct WriteTiming {
    var ms: Double
    var cpuMs: Double
    var queuedMs: Double
    var blockedMs: Double { max(0, ms - cpuMs - queuedMs) }
}

/// The calling thread's time on a CPU and waiting for one, in seconds, from Linux's
/// `/proc/thread-self/schedstat`; zeros where there is none.
struct SchedulerTimes {
    var onCPU = 0.0
    var queued = 0.0

    static func thisThread() -> SchedulerTimes {
        let fd = open("/proc/thread-self/schedstat", O_RDONLY)
        guard fd >= 0 else { return SchedulerTimes() }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 96)
        let n = read(fd, &buf, buf.count)
        guard n > 0 else { return SchedulerTimes() }
        let ns = buf[..<n].split(separator: UInt8(ascii: " ")).prefix(2).map { Double(String(decoding: $0, as: UTF8.self)) ?? 0 }
        guard ns.count == 2 else { return SchedulerTimes() }
        return SchedulerTimes(onCPU: ns[0] / 1e9, queued: ns[1] / 1e9)
    }
}
