#if canImport(Glibc)
import Glibc
#endif

/// The job of one process: rank 0 of 1. Every collective is the identity (a sum over one rank), so code
/// written against `Communicator` runs unchanged without MPI.
public final class SingleProcessCommunicator: Communicator {
    public let rank = 0
    public let size = 1
    /// Names the tool in `abort`'s line.
    public let tool: String

    public init(tool: String = "ditport") { self.tool = tool }

    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) {
        if root != 0 { abort("broadcast from root \(root) in a job of 1 process") }
    }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) {}
    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) {}
    public func allreduceMinMax(_ values: [UInt64]) -> (min: [UInt64], max: [UInt64]) { (values, values) }

    public func reduceScatterSum(_ buffer: UnsafeBufferPointer<Float>, layout: ShardLayout, into shard: UnsafeMutableBufferPointer<Float>) {
        guard layout.world == 1, buffer.count == layout.count, shard.count == layout.count else {
            abort("reduceScatterSum: buffer \(buffer.count), shard \(shard.count) for \(layout)")
        }
        if UnsafePointer(shard.baseAddress) != buffer.baseAddress, let source = buffer.baseAddress {
            shard.baseAddress?.update(from: source, count: buffer.count)
        }
    }

    public func allGather(_ shard: UnsafeBufferPointer<Float>, layout: ShardLayout, into buffer: UnsafeMutableBufferPointer<Float>) {
        guard layout.world == 1, buffer.count == layout.count, shard.count == layout.count else {
            abort("allGather: shard \(shard.count), buffer \(buffer.count) for \(layout)")
        }
        if shard.baseAddress != UnsafePointer(buffer.baseAddress), let source = shard.baseAddress {
            buffer.baseAddress?.update(from: source, count: shard.count)
        }
    }

    public func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) -> PendingOperation { CompletedOperation() }

    public func send(_ bytes: UnsafeRawBufferPointer, to destination: Int, tag: Int) {
        abort("send to rank \(destination) in a job of 1 process")
    }

    public func receive(_ bytes: UnsafeMutableRawBufferPointer, from source: Int, tag: Int) {
        abort("receive from rank \(source) in a job of 1 process")
    }

    public func startReduceScatterSum(_ buffer: UnsafeMutableBufferPointer<Float>, counts: [Int]) -> PendingOperation {
        if counts != [buffer.count] { abort("startReduceScatterSum: counts \(counts) for a buffer of \(buffer.count) in a job of 1 process") }
        return CompletedOperation()  // the sum over one rank, already at the start of the buffer
    }

    public func barrier() {}
    public func finalize() {}

    public func abort(_ message: String, code: Int32) -> Never {
        fputs("\(tool): \(rankDescription): error: \(message)\n", stderr)
        fflush(stderr)
        exit(code)
    }
}

/// An operation that finished when it started (one process has nothing to exchange).
final class CompletedOperation: PendingOperation {
    func test() -> Bool { true }
    func wait() {}
}
