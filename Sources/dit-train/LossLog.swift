import Checkpoint
import Foundation
import Imaging
import Training

/// `loss.csv` of a run (`step,loss,lr,grad_norm,seconds`, one row per optimizer step, loss = mean over
/// the step's samples) and its picture `loss.png`. Rows are appended and flushed as steps finish; on
/// resume the file is first cut back (atomically) to the steps the resumed state has done, so a resumed
/// run's log equals an uninterrupted one's apart from the timings.
final class LossLog {
    static let header = "step,loss,lr,grad_norm,seconds"
    let csvPath: String
    let picturePath: String
    private(set) var records: [(step: Int, loss: Double)] = []
    private let handle: FileHandle

    init(folder: String, resumedAtStep: Int) throws {
        csvPath = folder + "/loss.csv"
        picturePath = folder + "/loss.png"
        var kept = [LossLog.header]
        if resumedAtStep > 0, let text = try? String(contentsOfFile: csvPath, encoding: .utf8) {
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: ",")
                guard fields.count == 5, let step = Int(fields[0]), let loss = Double(fields[1]), step <= resumedAtStep else { continue }
                kept.append(String(line))
                records.append((step, loss))
            }
        }
        let body = kept.joined(separator: "\n") + "\n"
        do {
            try AtomicFile.write(to: csvPath) { temporary in
                let sink = try OutputSink(path: temporary)
                try sink.write(Array(body.utf8))
                try sink.flush()
            }
        } catch let error as CheckpointError {
            throw Failure("cannot write \(csvPath): \(error.message)")
        }
        guard let handle = FileHandle(forWritingAtPath: csvPath) else { throw Failure("cannot open \(csvPath) for appending") }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    /// Appends one step's row.
    func append(_ record: StepRecord) throws {
        let row = String(format: "%d,%.6g,%.6g,%.6g,%.4f\n", record.step, record.loss, record.learningRate, record.gradNorm, record.seconds)
        do { try handle.write(contentsOf: Array(row.utf8)) } catch { throw Failure("cannot append to \(csvPath): \(error.localizedDescription)") }
        records.append((record.step, record.loss))
    }

    /// Redraws `loss.png`: the per-step loss and its running mean over a window of ~2 % of the steps.
    func drawPicture() throws {
        guard !records.isEmpty else { return }
        var chart = LineChart()
        chart.logY = true
        let window = max(1, records.count / 50)
        var smoothed: [(x: Double, y: Double)] = []
        var sum = 0.0
        for (i, r) in records.enumerated() {
            sum += r.loss
            if i >= window { sum -= records[i - window].loss }
            if i + 1 >= window { smoothed.append((Double(r.step), sum / Double(window))) }
        }
        chart.series = [LineChart.Series(label: "loss", points: records.map { (Double($0.step), $0.loss) }, color: window > 1 ? (190, 190, 230) : LineChart.palette[1])]
        if window > 1 { chart.series.append(LineChart.Series(label: "mean of \(window)", points: smoothed, color: LineChart.palette[0])) }
        do { try chart.write(to: picturePath) } catch let error as CheckpointError { throw Failure("cannot write \(picturePath): \(error.message)") }
    }

    /// The loss curve as one line of block characters (`▇▆▅▃▂▂▁`), each the mean of an equal share of the
    /// steps, for the end-of-run log.
    func sparkline(width: Int = 40) -> String {
        guard records.count > 1 else { return "" }
        let columns = min(width, records.count)
        let means = (0..<columns).map { c -> Double in
            let slice = records[(c * records.count / columns)..<((c + 1) * records.count / columns)]
            return slice.map(\.loss).reduce(0, +) / Double(slice.count)
        }
        let low = means.min()!, high = means.max()!
        let blocks = Array("▁▂▃▄▅▆▇█")
        return String(means.map { blocks[high > low ? Int(((($0 - low) / (high - low)) * 7).rounded()) : 0] })
            + String(format: "  (%.4f → %.4f)", means.first!, means.last!)
    }

    deinit { try? handle.close() }
}
