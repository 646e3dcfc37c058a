import Crypto
import Foundation

/// SHA-256 from swift-crypto, as lowercase hex: the audit log's hash chain and the export's
/// `.sha256` file.
public enum InboxDigest {
    public static func sha256Hex(_ bytes: some DataProtocol) -> String { hex(SHA256.hash(data: bytes)) }

    /// A digest fed piece by piece, for files written as a stream.
    public struct Stream {
        private var state = SHA256()
        public init() {}
        public mutating func update(_ bytes: some DataProtocol) { state.update(data: bytes) }
        public mutating func finalize() -> String { InboxDigest.hex(state.finalize()) }
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for b in digest {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
