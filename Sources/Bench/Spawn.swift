import Foundation

/// Runs a program to its end with `posix_spawn` and `waitpid`, for timed runs.
///
/// Foundation's `Process.waitUntilExit` looks for the child's exit every 50 ms: it added 0 to
/// 50 ms to each timed run, so a 5 ms `sqlite3` query measured 57 ms (P3's baseline) or
/// 10 ms, depending on when it ended.
enum Spawn {
    /// How a program ended: exit status (128 + the signal if one ended it), and its standard
    /// output when kept.
    struct Outcome {
        var status: Int32
        var output: Data
    }

    /// This program's own file, however it was started (`CommandLine.arguments[0]` can be a
    /// bare name found on PATH, which `posix_spawn` does not search).
    static var thisProgram: String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return n > 0 ? String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
    }

    struct Failed: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `path` with `args`, standard input and error on /dev/null, and keeps its standard
    /// output unless `discardOutput`.
    static func run(_ path: String, _ args: [String], environment: [String: String], discardOutput: Bool) throws -> Outcome {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var fds: [Int32] = [-1, -1]
        if discardOutput {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        } else {
            guard pipe(&fds) == 0 else { throw Failed(description: "pipe: \(String(cString: strerror(errno)))") }
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }  // the child gets only its dup2 copy
            posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        }
        let pid: pid_t
        do {
            pid = try spawn(path, args, environment: environment, actions: &actions)
        } catch {
            if !discardOutput { fds.forEach { close($0) } }
            throw error
        }
        if !discardOutput { close(fds[1]) }
        var output = Data()
        if !discardOutput {
            output = drain(fds[0])
            close(fds[0])
        }
        return Outcome(status: wait(pid), output: output)
    }

    /// Runs `path` with `args` on a new pseudo-terminal of `columns` x `lines` (standard input,
    /// output and error), as a terminal program runs for a user, and returns its exit status;
    /// what it draws is discarded.
    static func runInTerminal(_ path: String, _ args: [String], environment: [String: String],
                              columns: Int, lines: Int) throws -> Int32 {
        // posix_openpt, unlockpt and ptsname are not visible from Swift's Glibc module: the
        // same through /dev/ptmx and the two ioctls they use (Linux's generic numbers).
        let TIOCGPTN: UInt = 0x8004_5430, TIOCSPTLCK: UInt = 0x4004_5431
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        var unlock: Int32 = 0, number: UInt32 = 0
        guard master >= 0, ioctl(master, TIOCSPTLCK, &unlock) == 0, ioctl(master, TIOCGPTN, &number) == 0 else {
            let reason = String(cString: strerror(errno))
            if master >= 0 { close(master) }
            throw Failed(description: "no pseudo-terminal: \(reason)")
        }
        let name = "/dev/pts/\(number)"
        defer { close(master) }
        var size = winsize(ws_row: UInt16(lines), ws_col: UInt16(columns), ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &size)
        let slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard slave >= 0 else { throw Failed(description: "cannot open \(name): \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in 0...2 { posix_spawn_file_actions_adddup2(&actions, slave, fd) }
        let pid: pid_t
        do {
            pid = try spawn(path, args, environment: environment, actions: &actions)
        } catch {
            close(slave)
            throw error
        }
        close(slave)
        // Read what it draws as it draws it (a full pty would stop it), until its side closes.
        _ = drain(master)
        return wait(pid)
    }

    private static func spawn(_ path: String, _ args: [String], environment: [String: String],
                              actions: inout posix_spawn_file_actions_t) throws -> pid_t {
        let argv = ([path] + args).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard rc == 0 else { throw Failed(description: "cannot run \(path): \(String(cString: strerror(rc)))") }
        return pid
    }

    /// Everything readable from `fd` until end of file (or, for a pty, until EIO).
    private static func drain(_ fd: Int32) -> Data {
        var output = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n > 0 { output.append(buffer, count: n) } else if n == 0 || errno != EINTR { break }
        }
        return output
    }

    /// The exit status of `pid` once it ends (128 + the signal if one ended it).
    private static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // The wait status: exit code in bits 8-15 when bits 0-6 (the signal) are zero.
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
