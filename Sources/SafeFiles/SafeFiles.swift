import Foundation

/// A file Rounds could not create or write, worded for the user: which file, what happened,
/// and what to do.
public struct FileError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String
    public init(_ path: String, _ reason: String) { self.path = path; self.reason = reason }
    public var description: String { "\(path): \(reason)" }

    static func errno(_ path: String, _ what: String, _ code: Int32 = Foundation.errno) -> FileError {
        var reason = "\(what): \(String(cString: strerror(code)))"
        if code == ENOSPC || code == EDQUOT { reason += "; free some space and run the command again" }
        if code == EACCES || code == EPERM { reason += "; check the folder's owner and permissions" }
        return FileError(path, reason)
    }
}

/// Files created so that nobody sharing the folder can redirect them: never through a symlink,
/// never onto a FIFO or a device, written under a temporary name and renamed into place, with
/// owner-only (or group) permissions set on the new file itself, not through the process umask.
public enum SafeFiles {
    /// Refuses a target that exists and is not a regular file: a symlink (even to a regular
    /// file), a FIFO, a device, a socket or a folder.
    public static func checkTarget(_ path: String) throws {
        var st = stat()
        if lstat(path, &st) != 0 {
            if errno == ENOENT { return }
            throw FileError.errno(path, "cannot check")
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFLNK: throw FileError(path, "is a symbolic link; Rounds does not write through links (remove it, or name another file)")
        case S_IFIFO: throw FileError(path, "is a FIFO; name a regular file")
        case S_IFDIR: throw FileError(path, "is a folder; name a file in it")
        default: throw FileError(path, "is a device or socket, not a regular file; name a regular file")
        }
    }

    /// Opens `path` for reading and writing, creating it with `mode` if it is missing, without
    /// following a symlink; refuses anything but a regular file, and sets `mode` on the open
    /// file (never through its path, which another user could swap).
    public static func openRegular(_ path: String, mode: mode_t) throws -> Int32 {
        let fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, mode)
        guard fd >= 0 else {
            if errno == ELOOP { throw FileError(path, "is a symbolic link; Rounds does not open files through links (remove it)") }
            throw FileError.errno(path, "cannot open")
        }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw FileError(path, "is not a regular file (a FIFO or a device?); remove it")
        }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
        if st.st_uid == geteuid() { fchmod(fd, mode) }
        return fd
    }

    /// A private folder of a new, unpredictable name (`mkdtemp`), mode 0700.
    public static func makePrivateDirectory(in parent: String = NSTemporaryDirectory(), prefix: String) throws -> String {
        var template = Array((parent.hasSuffix("/") ? parent : parent + "/") .utf8CString.dropLast()) + Array("\(prefix)-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw FileError.errno(parent, "cannot make a private folder")
        }
        return String(cString: made)
    }
}

/// A file being written under a temporary name beside its final path. Nothing is at the final
/// path until `commit()`, which syncs the data and renames it into place; `discard()` (or
/// dropping it uncommitted) removes the temporary file. Every write error is thrown, worded
/// for the user: a full disk is an error, never a crash.
public final class PendingFile {
    public let path: String
    public let temporaryPath: String
    private var fd: Int32
    private var committed = false

    /// `mode` is set on the new file itself: 0600 for files holding patient information.
    public init(_ path: String, mode: mode_t = 0o600) throws {
        try SafeFiles.checkTarget(path)
        self.path = path
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        var made: Int32 = -1
        var name = ""
        for _ in 0..<16 {
            name = dir + "/." + url.lastPathComponent + ".tmp-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            made = open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            if made >= 0 || errno != EEXIST { break }
        }
        guard made >= 0 else { throw FileError.errno(path, "cannot create a file in \(dir)") }
        fchmod(made, mode)
        fd = made
        temporaryPath = name
    }

    deinit { if !committed { discard() } }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError.errno(path, "cannot write")
            }
            offset += n
        }
    }

    public func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }
    public func write(_ text: String) throws { try write(Array(text.utf8)) }

    /// The data on disk (not yet under its final name).
    public func sync() throws {
        guard fsync(fd) == 0 else { throw FileError.errno(path, "cannot write to disk") }
    }

    /// Synced, then renamed over the final path (checked again: a link placed there meanwhile
    /// is refused, not replaced).
    public func commit() throws {
        try sync()
        guard close(fd) == 0 else { fd = -1; throw FileError.errno(path, "cannot write") }
        fd = -1
        try SafeFiles.checkTarget(path)
        guard rename(temporaryPath, path) == 0 else { throw FileError.errno(path, "cannot put the file in place") }
        committed = true
        let dir = open(URL(fileURLWithPath: path).deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY)
        if dir >= 0 { fsync(dir); close(dir) }
    }

    /// Removes the temporary file; the final path is untouched.
    public func discard() {
        if fd >= 0 { close(fd); fd = -1 }
        unlink(temporaryPath)
        committed = true
    }
}
