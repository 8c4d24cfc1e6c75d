import Foundation

/// A small line chart rasteriser (axes, ticks with numbers, one polyline per series, a legend) for
/// training loss curves, written as PNG with `PNGWriter`. No fonts or plotting library needed.
public struct LineChart {
    /// One curve: points in data coordinates and an RGB colour.
    public struct Series {
        public var label: String
        public var points: [(x: Double, y: Double)]
        public var color: (UInt8, UInt8, UInt8)
        public init(label: String, points: [(x: Double, y: Double)], color: (UInt8, UInt8, UInt8)) {
            self.label = label
            self.points = points
            self.color = color
        }
    }

    public var width = 720
    public var height = 420
    public var xTitle = "step"
    public var yTitle = "loss"
    public var series: [Series] = []
    /// Log-scale y axis (loss curves span decades early in training).
    public var logY = false

    public init() {}

    /// Distinct, print-friendly colours for series 0, 1, 2, …
    public static let palette: [(UInt8, UInt8, UInt8)] = [(178, 24, 43), (33, 102, 172), (27, 120, 55), (118, 42, 131), (230, 97, 1)]

    /// The chart as RGB pixels `[height, width, 3]`.
    public func render() -> [UInt8] {
        var pixels = [UInt8](repeating: 255, count: width * height * 3)  // [height, width, 3]
        let left = 70, right = width - 20, top = 20, bottom = height - 45
        let all = series.flatMap { $0.points }.filter { $0.x.isFinite && $0.y.isFinite && (!logY || $0.y > 0) }
        guard !all.isEmpty, right > left, bottom > top else { return pixels }
        let transform: (Double) -> Double = logY ? { log10($0) } : { $0 }
        var (xMin, xMax) = (all.map(\.x).min()!, all.map(\.x).max()!)
        var (yMin, yMax) = (all.map { transform($0.y) }.min()!, all.map { transform($0.y) }.max()!)
        if xMax == xMin { xMax = xMin + 1 }
        if yMax == yMin { (yMin, yMax) = (yMin - 0.5, yMax + 0.5) }
        let pad = (yMax - yMin) * 0.05
        yMin -= pad
        yMax += pad
        if !logY && yMin < 0 && all.allSatisfy({ $0.y >= 0 }) { yMin = 0 }
        func px(_ x: Double) -> Double { Double(left) + (x - xMin) / (xMax - xMin) * Double(right - left) }
        func py(_ y: Double) -> Double { Double(bottom) - (transform(y) - yMin) / (yMax - yMin) * Double(bottom - top) }
        let grey: (UInt8, UInt8, UInt8) = (220, 220, 220), black: (UInt8, UInt8, UInt8) = (0, 0, 0)
        // Grid and y ticks.
        for i in 0...4 {
            let value = yMin + (yMax - yMin) * Double(i) / 4
            let y = Int((Double(bottom) - Double(i) / 4 * Double(bottom - top)).rounded())
            line(&pixels, left, y, right, y, grey)
            let label = LineChart.format(logY ? pow(10, value) : value)
            BitmapFont.draw(label, x: left - 6 - BitmapFont.width(label, scale: 1), y: y - 3, scale: 1, color: black, into: &pixels, width: width, height: height)
        }
        // x ticks (whole numbers when every x is one, as steps are).
        let integerX = all.allSatisfy { $0.x == $0.x.rounded() }
        for i in 0...4 {
            let value = xMin + (xMax - xMin) * Double(i) / 4
            let x = Int(px(value).rounded())
            line(&pixels, x, bottom, x, bottom + 4, black)
            let label = integerX ? String(Int(value.rounded())) : LineChart.format(value)
            BitmapFont.draw(label, x: x - BitmapFont.width(label, scale: 1) / 2, y: bottom + 8, scale: 1, color: black, into: &pixels, width: width, height: height)
        }
        line(&pixels, left, top, left, bottom, black)
        line(&pixels, left, bottom, right, bottom, black)
        BitmapFont.draw(xTitle, x: (left + right - BitmapFont.width(xTitle, scale: 2)) / 2, y: height - 20, scale: 2, color: black, into: &pixels, width: width, height: height)
        BitmapFont.draw(yTitle, x: 4, y: 2, scale: 2, color: black, into: &pixels, width: width, height: height)
        // Curves.
        for s in series {
            let points = s.points.filter { $0.x.isFinite && $0.y.isFinite && (!logY || $0.y > 0) }
            for (a, b) in zip(points, points.dropFirst()) {
                line(&pixels, Int(px(a.x).rounded()), Int(py(a.y).rounded()), Int(px(b.x).rounded()), Int(py(b.y).rounded()), s.color, thick: true)
            }
            if points.count == 1 { line(&pixels, Int(px(points[0].x)), Int(py(points[0].y)), Int(px(points[0].x)), Int(py(points[0].y)), s.color, thick: true) }
        }
        // Legend, top right.
        for (i, s) in series.enumerated() {
            let y = top + 6 + i * 14
            let x = right - 10 - BitmapFont.width(s.label, scale: 1) - 24
            line(&pixels, x, y + 3, x + 18, y + 3, s.color, thick: true)
            BitmapFont.draw(s.label, x: x + 24, y: y, scale: 1, color: black, into: &pixels, width: width, height: height)
        }
        return pixels
    }

    /// Writes the chart as a PNG file (atomically).
    public func write(to path: String) throws {
        try PNGWriter.write(pixels: render(), width: width, height: height, to: path)
    }

    /// Short tick labels: `2500`, `0.125`, `1.5e-4`.
    static func format(_ v: Double) -> String {
        if v == 0 { return "0" }
        let magnitude = abs(v)
        if magnitude >= 1e5 || magnitude < 1e-3 { return String(format: "%.1e", v).replacingOccurrences(of: "e-0", with: "e-").replacingOccurrences(of: "e+0", with: "e") }
        if magnitude >= 100 { return String(format: "%.0f", v) }
        if magnitude >= 1 { return String(format: "%.2f", v) }
        return String(format: "%.3f", v)
    }

    /// Bresenham line, optionally 2 px thick.
    private func line(_ pixels: inout [UInt8], _ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ color: (UInt8, UInt8, UInt8), thick: Bool = false) {
        var x = x0, y = y0
        let dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var error = dx + dy
        while true {
            for (ox, oy) in thick ? [(0, 0), (1, 0), (0, 1), (1, 1)] : [(0, 0)] {
                let px = x + ox, py = y + oy
                if px >= 0, px < width, py >= 0, py < height {
                    let i = (py * width + px) * 3
                    (pixels[i], pixels[i + 1], pixels[i + 2]) = color
                }
            }
            if x == x1 && y == y1 { break }
            let e2 = 2 * error
            if e2 >= dy { error += dy; x += sx }
            if e2 <= dx { error += dx; y += sy }
        }
    }
}
