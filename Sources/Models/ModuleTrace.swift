import Kernels

/// Receives intermediate activations by module name during a forward pass (parity dumps, debugging).
/// The names are those of `docs/parity.md` (`t_freq`, `block.3.out`, `decoder.up_blocks.1`, ...).
public typealias ModuleTrace = (_ name: String, _ value: FloatTensor) -> Void
