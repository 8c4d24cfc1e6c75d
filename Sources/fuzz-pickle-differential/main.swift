#if canImport(Glibc)
import Glibc
#endif
import Checkpoint

// The Swift half of the differential pickle fuzzer (docs/fuzzing.md): reads records
// `u32 little-endian length + bytes` from stdin and writes, per record, one line with the canonical
// form of what the pickle VM reads (PickleDifferential), for scripts/pickle_differential.py to compare
// with CPython's unpicklers. Given file paths instead, it prints each file's canonical form.
setvbuf(stdout, nil, _IOFBF, 1 << 16)
if CommandLine.arguments.count > 1 {
    for path in CommandLine.arguments.dropFirst() {
        guard let file = try? MappedFile(path: path) else { print("\(path): cannot open"); continue }
        print(PickleDifferential.canonical(file.all))
    }
    exit(0)
}
var header = [UInt8](repeating: 0, count: 4)
var payload = [UInt8](repeating: 0, count: 1 << 20)
func readExactly(_ buffer: UnsafeMutableRawPointer, _ count: Int) -> Bool {
    var done = 0
    while done < count {
        let n = fread(buffer + done, 1, count - done, stdin)
        if n <= 0 { return false }
        done += n
    }
    return true
}
while readExactly(&header, 4) {
    let length = Int(UInt32(header[0]) | UInt32(header[1]) << 8 | UInt32(header[2]) << 16 | UInt32(header[3]) << 24)
    guard length <= payload.count, payload.withUnsafeMutableBytes({ readExactly($0.baseAddress!, length) }) else { break }
    let line = payload.withUnsafeBytes { PickleDifferential.canonical(UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
    fputs(line.replacingNewlines() + "\n", stdout)
    if length == 0 { fflush(stdout) }  // an empty record asks for a flush (end of a batch)
}
fflush(stdout)

extension String {
    /// Control characters (a NUL would end fputs, a newline the record) become spaces.
    func replacingNewlines() -> String {
        String(String.UnicodeScalarView(unicodeScalars.map { $0.value < 0x20 ? " " : $0 }))
    }
}
