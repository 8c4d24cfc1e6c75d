import Kernels
import Models

/// Marks weights that borrow a caller's buffer (the training parameters): the caller keeps it alive.
final class BorrowedParameters {}

extension ParameterLayout {
    /// The parameters of a flat buffer as model weights under their official names, read in place (no
    /// copy): valid while `parameters` stays allocated. `DiT(weights:config:heads:packWeights: false)`
    /// on them runs the inference forward straight from the training buffer.
    public func modelWeights(parameters: UnsafeBufferPointer<Float>) -> ModelWeights {
        precondition(parameters.count == count, "\(parameters.count) parameters for a layout of \(count)")
        let owner = BorrowedParameters()
        var tensors: [String: Weight] = [:]
        for view in views {
            tensors[view.name] = Weight(shape: view.shape, elements: .f32(parameters.baseAddress! + view.offset), owner: owner)
        }
        return ModelWeights(tensors: tensors, names: views.map(\.name))
    }

    /// An inference model (packed GEMM weights, as loaded from a file) holding its own copy of the
    /// parameters: for sampling mid-training; the training buffer may change afterwards. Gives the same
    /// numbers as `DiT(path:)` on a file holding these parameters.
    public func inferenceModel(parameters: UnsafeBufferPointer<Float>, heads: Int? = nil) throws -> DiT {
        let copy = OwnedFloats(count: count)  // [count] f32
        copy.pointer.update(from: parameters.baseAddress!, count: count)
        var tensors: [String: Weight] = [:]
        for view in views {
            tensors[view.name] = Weight(shape: view.shape, elements: .f32(UnsafePointer(copy.pointer + view.offset)), owner: copy)
        }
        return try DiT(weights: ModelWeights(tensors: tensors, names: views.map(\.name)), config: config, heads: heads)
    }
}
