import Foundation
import Training

/// Where a run writes (`output_path/<YYYY-MM-DDTHH-MM-SS>` as MindONE, or `output_path` itself) and which
/// checkpoint `resume` continues from. A resumed run writes on in the folder of its checkpoint (MindONE
/// R1's `resume: True` looks in the new, empty folder; here it finds the newest run under `output_path`).
struct RunFolder {
    let path: String
    /// The checkpoint to resume from, if any.
    let resumeFrom: String?

    /// `started`: when the run began (the same instant on every rank), named in the folder.
    init(outputPath: String, timestamped: Bool, resume: String, format: TrainingOptions.CheckpointFormat, started: Date = Date()) throws {
        let base = outputPath.hasSuffix("/") && outputPath.count > 1 ? String(outputPath.dropLast()) : outputPath
        switch resume.lowercased() {
        case "false", "":
            path = timestamped ? base + "/" + RunFolder.timestamp(started) : base
            resumeFrom = nil
        case "true":
            let candidates = timestamped
                ? ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).sorted().reversed().map { base + "/" + $0 }
                : [base]
            for folder in candidates {
                if let file = TrainingCheckpoints.latestResumable(in: folder, format: format) {
                    path = folder
                    resumeFrom = file
                    return
                }
            }
            throw Failure("resume is True but no run under \(base) has a \(format == .ckpt ? "ckpt/train_resume.ckpt" : "checkpoints/NNNNNNN.pt") to resume from")
        default:
            guard FileManager.default.fileExists(atPath: resume) else { throw Failure("resume: \(resume) does not exist") }
            let parent = (resume as NSString).deletingLastPathComponent
            let parentName = (parent as NSString).lastPathComponent
            if parentName == "ckpt" || parentName == "checkpoints" {
                path = (parent as NSString).deletingLastPathComponent
            } else {
                path = timestamped ? base + "/" + RunFolder.timestamp(started) : base
            }
            resumeFrom = resume
        }
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd'T'HH-mm-ss"
        formatter.locale = Locale(identifier: "en_US_POSIX")
        return formatter.string(from: date)
    }
}
