/// SHA-256 for callers outside the store (the export's `.sha256` file).
public enum InboxDigest {
    public static func sha256Hex(_ bytes: [UInt8]) -> String { SHA256.hex(bytes) }

    /// A digest fed piece by piece, for files written as a stream.
    public struct Stream {
        private var state = SHA256()
        public init() {}
        public mutating func update(_ bytes: some Collection<UInt8>) { state.update(bytes) }
        public mutating func finalize() -> String { state.finalize() }
    }
}
