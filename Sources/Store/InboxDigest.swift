/// SHA-256 for callers outside the store (the export's `.sha256` file).
public enum InboxDigest {
    public static func sha256Hex(_ bytes: [UInt8]) -> String { SHA256.hex(bytes) }
}
