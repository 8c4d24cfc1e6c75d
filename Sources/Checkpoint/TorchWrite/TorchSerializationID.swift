/// The 40-digit `.data/serialization_id` record of `PyTorchStreamWriter::writeSerializationId`
/// (caffe2/serialize/inline_container.cc), reproduced bit for bit:
///
/// * digits 1–20: `c10::hash_combine` folded over `std::hash<std::string>` of every record name written
///   so far (without the archive prefix), in the iteration order of the `std::unordered_set` that holds
///   them (libstdc++: `_Hash_bytes` with seed 0xc70f6907, prime rehash policy, node list order);
/// * digits 21–40: `hash_combine` folded over the CRC-32 of each write that starts with a data-descriptor
///   signature `PK\x07\x08` (every non-empty record's descriptor, and any payload or name that happens to
///   begin with those bytes), in write order.
///
/// Both are printed as zero-padded 20-digit decimals. Verified against torch 2.15 for 0…2400 records.
struct TorchSerializationID {
    private var recordNames = LibstdcxxStringSetOrder()
    private var crcFold: UInt64 = 0

    init() {}

    /// Records a name passed to `writeRecord` (without the archive prefix).
    mutating func addRecordName(_ name: String) {
        recordNames.insert(TorchSerializationID.stringHash(Array(name.utf8)))
    }

    /// Mirrors torch's write callback: a write of at least 8 bytes that starts with `PK\x07\x08` folds
    /// its next 4 bytes (little-endian) into the CRC part. `head` is the first (up to 8) bytes of a write
    /// of `length` bytes.
    mutating func observeWrite(head: UnsafeRawBufferPointer, length: Int) {
        guard length >= 8, head.count >= 8,
              head[0] == 0x50, head[1] == 0x4B, head[2] == 0x07, head[3] == 0x08 else { return }
        let crc = UInt32(head[4]) | UInt32(head[5]) << 8 | UInt32(head[6]) << 16 | UInt32(head[7]) << 24
        crcFold = TorchSerializationID.hashCombine(crcFold, UInt64(crc))
    }

    /// The 40 ASCII digits.
    var text: String {
        var nameFold: UInt64 = 0
        for hash in recordNames.iterationOrder() { nameFold = TorchSerializationID.hashCombine(nameFold, hash) }
        return TorchSerializationID.twentyDigits(nameFold) + TorchSerializationID.twentyDigits(crcFold)
    }

    /// `c10::hash_combine` (Boost): `seed ^ (value + 0x9e3779b9 + (seed << 6) + (seed >> 2))`, mod 2^64.
    static func hashCombine(_ seed: UInt64, _ value: UInt64) -> UInt64 {
        seed ^ (value &+ 0x9E37_79B9 &+ (seed << 6) &+ (seed >> 2))
    }

    /// libstdc++ `std::hash<std::string>` on 64-bit targets: `std::_Hash_bytes(ptr, len, 0xc70f6907)`
    /// (a MurmurHash64A variant).
    static func stringHash(_ bytes: [UInt8]) -> UInt64 {
        let multiplier: UInt64 = 0xC6A4_A793_5BD1_E995
        func shiftMix(_ v: UInt64) -> UInt64 { v ^ (v >> 47) }
        func load(_ start: Int, _ count: Int) -> UInt64 {
            var value: UInt64 = 0
            for i in stride(from: count - 1, through: 0, by: -1) { value = (value << 8) | UInt64(bytes[start + i]) }
            return value
        }
        let length = bytes.count
        let alignedLength = length & ~7
        var hash = 0xC70F_6907 ^ (UInt64(length) &* multiplier)
        var position = 0
        while position < alignedLength {
            let data = shiftMix(load(position, 8) &* multiplier) &* multiplier
            hash ^= data
            hash = hash &* multiplier
            position += 8
        }
        if length & 7 != 0 {
            hash ^= load(alignedLength, length & 7)
            hash = hash &* multiplier
        }
        hash = shiftMix(hash) &* multiplier
        return shiftMix(hash)
    }

    static func twentyDigits(_ value: UInt64) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }
}

/// The iteration order of a libstdc++ `std::unordered_set<std::string>` filled by successive inserts of
/// distinct keys, tracked by hash code only.
///
/// libstdc++ keeps one singly linked node list in which each bucket's nodes are contiguous: a node whose
/// bucket is already occupied goes in front of that bucket's first node; a node for an empty bucket goes
/// to the front of the whole list. A rehash replays the current order into the new buckets by the same
/// rule. The bucket count starts at 13 with the first insert and, once an insert would exceed it (max
/// load factor 1), moves to the next prime ≥ twice the current count from libstdc++'s `__prime_list`.
struct LibstdcxxStringSetOrder {
    /// Bucket counts libstdc++'s `_Prime_rehash_policy` steps through from an empty set (read from
    /// `std::__detail::__prime_list` in libstdc++.so.6).
    static let bucketCountChain: [UInt64] = [
        13, 29, 59, 127, 257, 541, 1109, 2357, 5087, 10273, 20753, 42043, 85229, 172933, 351061, 712697,
        1447153, 2938679, 5967347, 12117689, 24607243, 49969847, 101473717, 206062531, 418451333,
        849749479, 1725587117, 3504151727, 8589934583,
    ]

    private var bucketCount: UInt64 = 0
    private var chainPosition = -1
    /// Occupied buckets, most recently started first when read backwards.
    private var bucketRunsReversed: [UInt64] = []
    /// Hash codes of each occupied bucket, front of the run last.
    private var bucketNodesReversed: [UInt64: [UInt64]] = [:]
    private(set) var count = 0

    init() {}

    /// Inserts a key that is not yet in the set, given its hash code.
    mutating func insert(_ hash: UInt64) {
        if count + 1 > Int(clamping: bucketCount), chainPosition + 1 < Self.bucketCountChain.count {
            chainPosition += 1
            rehash(to: Self.bucketCountChain[chainPosition])
        }
        place(hash)
        count += 1
    }

    /// Hash codes in the order a range-for over the set visits them.
    func iterationOrder() -> [UInt64] {
        var order: [UInt64] = []
        order.reserveCapacity(count)
        for bucket in bucketRunsReversed.reversed() {
            order.append(contentsOf: (bucketNodesReversed[bucket] ?? []).reversed())
        }
        return order
    }

    private mutating func place(_ hash: UInt64) {
        let bucket = hash % bucketCount
        if bucketNodesReversed[bucket] != nil {
            bucketNodesReversed[bucket]?.append(hash)
        } else {
            bucketNodesReversed[bucket] = [hash]
            bucketRunsReversed.append(bucket)
        }
    }

    private mutating func rehash(to newCount: UInt64) {
        let order = iterationOrder()
        bucketCount = newCount
        bucketRunsReversed = []
        bucketNodesReversed = [:]
        for hash in order { place(hash) }
    }
}
