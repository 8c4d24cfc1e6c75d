import Checkpoint
import Foundation

/// Where a converter writes when the target names only a format.
public enum TargetPath {
    /// `--target .ckpt` (a bare extension, the design card's spelling) means "the source's name with this
    /// extension, next to the source": `DiT-XL-2-256x256.pt` → `DiT-XL-2-256x256.ckpt`, not a hidden
    /// file named `.ckpt`. `out/.ckpt` puts that name in `out/`. Any other target is returned unchanged.
    public static func expandingBareExtension(_ target: String, source: String) -> String {
        let name = (target as NSString).lastPathComponent
        guard name.count > 1, name.hasPrefix("."), !name.dropFirst().contains("."),
              CheckpointFormat.forWriting(path: "x" + name) != nil else { return target }
        let sourcePath = source.hasSuffix("/") ? String(source.dropLast()) : source
        let base = ((sourcePath as NSString).lastPathComponent as NSString).deletingPathExtension
        let folder = target.contains("/") ? (target as NSString).deletingLastPathComponent : (sourcePath as NSString).deletingLastPathComponent
        return folder.isEmpty ? base + name : (folder as NSString).appendingPathComponent(base + name)
    }
}
