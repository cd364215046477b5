import Foundation
import SwiftTuner

/// Options of `TunerBenchmarks trainer`.
struct TrainerOptions {
    var python: String?
    var repeats = 5
    var seeds = 5
    /// `gemm`, `trial` or `parity`: one part only.
    var only: String?
    /// GEMM shapes to measure (keys as `MxNxK/A`); all when empty.
    var shapes: Set<String> = []
    /// How many times the GEMM table alternates between numpy and SwiftTuner (medians reported).
    var rounds = 5
    /// How many pairs of samples the GEMM table alternates between numpy's OpenBLAS, loaded in
    /// this process, and SwiftTuner (the median ratio reported).
    var pairs = 101
}

/// Runs a peer script with the benchmark's Python and returns its JSON output.
func runPeer(_ python: String, _ script: String, _ arguments: [String]) -> [String: Any]? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("peers/\(script)")
        .path
    process.arguments = [path] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    // Peers print their failed trials' tracebacks; keep them in a file, shown only on failure.
    let log = (NSTemporaryDirectory() as NSString).appendingPathComponent("peer-\(getpid())-\(script).log")
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    process.standardError = FileHandle(forWritingAtPath: log)
    defer { try? FileManager.default.removeItem(atPath: log) }
    var environment = ProcessInfo.processInfo.environment
    environment["KERAS_BACKEND"] = "jax"
    process.environment = environment
    do { try process.run() } catch { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        let tail =
            (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").suffix(5).joined(
                separator: "\n") ?? ""
        print("  (\(script) failed with exit \(process.terminationStatus))\n\(tail)")
        return nil
    }
    let last = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
    return (try? JSONSerialization.jsonObject(with: Data(last.utf8))) as? [String: Any]
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
}

func time(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now()
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}

/// The GEMM shapes of MLP training in their three forms: forward X·W, and the backward dY·Wᵀ
/// and Xᵀ·dY, whose transposed operand the trainer reads in place (numpy passes its transposed
/// views to BLAS the same way). Keys: `MxNxK`, with `/A` or `/B` for the operand stored transposed.
typealias GEMMShape = (form: String, m: Int, n: Int, k: Int, transposed: String)

let gemmShapes: [GEMMShape] = {
    var shapes: [(String, Int, Int, Int, String)] = []
    for (batch, input, output) in [
        (32, 20, 64), (32, 64, 32), (64, 128, 128), (128, 256, 256), (256, 512, 512), (256, 512, 10),
    ] {
        shapes.append(("forward  X·W", batch, output, input, ""))  // m, n, k
        shapes.append(("backward dY·Wᵀ", batch, input, output, "B"))
        shapes.append(("backward Xᵀ·dY", input, output, batch, "A"))
    }
    return shapes
}()

func gemmKey(_ shape: GEMMShape) -> String {
    "\(shape.m)x\(shape.n)x\(shape.k)" + (shape.transposed.isEmpty ? "" : "/" + shape.transposed)
}

/// A shape's operands as the trainer stores them: A is m×k (k×m for `/A`), B is k×n (n×k for
/// `/B`), random; the transposes to pass.
func gemmOperands(_ shape: GEMMShape) -> (a: Matrix, b: Matrix, transposeA: Bool, transposeB: Bool) {
    let (m, n, k) = (shape.m, shape.n, shape.k)
    let transposeA = shape.transposed == "A", transposeB = shape.transposed == "B"
    let a = transposeA ? Matrix.random(rows: k, columns: m, seed: 1) : Matrix.random(rows: m, columns: k, seed: 1)
    let b = transposeB ? Matrix.random(rows: n, columns: k, seed: 2) : Matrix.random(rows: k, columns: n, seed: 2)
    return (a, b, transposeA, transposeB)
}

func gemmGFLOPs(_ shape: GEMMShape) -> Double {
    let (m, n, k) = (shape.m, shape.n, shape.k)
    let (a, b, transposeA, transposeB) = gemmOperands(shape)
    var c = Matrix(rows: m, columns: n)
    let flops = 2.0 * Double(m * n * k)
    let inner = max(1, Int(2e8 / flops))
    var best = Double.infinity
    for _ in 0..<5 {
        let t = time {
            a.withUnsafePointer { ap in
                b.withUnsafePointer { bp in
                    c.withUnsafeMutablePointer { cp in
                        for _ in 0..<inner {
                            Kernels.gemm(
                                m: m, n: n, k: k, ap, lda: a.columns, bp, ldb: b.columns, cp, ldc: n,
                                transposeA: transposeA, transposeB: transposeB)
                        }
                    }
                }
            }
        }
        best = min(best, t / Double(inner))
    }
    return flops / best / 1e9
}

func runTrainerBenchmark(_ options: TrainerOptions, results: BenchmarkResults) throws {
    let build = Kernels.buildDescription
    print("SwiftTuner trainer benchmark — \(build) build")
    if ProcessInfo.processInfo.environment["SWIFTTUNER_PROFILE_TRIAL"] != nil {
        // A loop of guide trials only, for a profiler.
        let x = Matrix.random(rows: 100, columns: 20, seed: 1), y = Matrix.random(rows: 100, columns: 1, seed: 2)
        for seed in 0..<(Int(ProcessInfo.processInfo.environment["SWIFTTUNER_PROFILE_TRIAL"] ?? "") ?? 2000) {
            let model = try Sequential([Dense(64, inputSize: 20), Dense(32), Dense(1)])
            model.compile(optimizer: .adam(), loss: .meanSquaredError)
            try model.fit(x: x, y: y, batchSize: 32, epochs: 10, validationData: (x, y), seed: UInt64(seed))
        }
        return
    }

    // 1. GEMM on the shapes of MLP training, against numpy/OpenBLAS on one thread.
    if options.only == nil || options.only == "gemm" { try gemmTable(options, results: results) }
    if options.only == nil || options.only == "trial" { try trialTimes(options, results: results) }
    // 3. Quality parity on the shipped datasets: same architecture and epochs as scikit-learn.
    if options.only == nil || options.only == "parity" { try qualityParity(options, results: results) }
}

/// The GEMM table. For each shape, two comparisons with numpy's OpenBLAS on one thread:
/// `rounds` alternations of numpy itself (a fresh process measuring that shape) and SwiftTuner,
/// medians reported; and, with numpy's library loaded in this process, `pairs` alternations of
/// one sample of each (about 0.1 GFLOP), whose median ratio is immune to the machine's drift.
func gemmTable(_ options: TrainerOptions, results: BenchmarkResults) throws {
    let peak = Kernels.measuredPeak()
    print(String(format: "\nthis core's measured peak (12 chains of vector multiply-adds): %.1f GFLOP/s", peak))
    var blas: OpenBLASLibrary?
    if let python = options.python, let library = runPeer(python, "numpy_gemm.py", ["--library"]) {
        if let info = library["threadpool_info"] as? String { print("  (numpy: \(info))") }
        if let path = library["filepath"] as? String { blas = OpenBLASLibrary(path: path) }
        if blas == nil { print("  (numpy's OpenBLAS could not be opened in this process: no paired columns)") }
    }
    let shapes = gemmShapes.filter { options.shapes.isEmpty || options.shapes.contains(gemmKey($0)) }
    print(
        "GEMM GFLOP/s (m×n×k)            numpy in a process, median of \(options.rounds)    "
            + "numpy's OpenBLAS in this process, \(options.pairs) pairs")
    print(
        pad("", 32) + pad("SwiftTuner", 12) + pad("numpy", 8) + pad("ratio", 10)
            + pad("SwiftTuner", 12) + pad("OpenBLAS", 10) + pad("ratio", 8) + "% of peak"
            + (blas == nil ? ": SwiftTuner" : " beside each pair: SwiftTuner, OpenBLAS"))
    for shape in shapes {
        let key = gemmKey(shape)
        var ours: [Double] = [], theirs: [Double] = []
        for _ in 0..<options.rounds {
            if let python = options.python, let result = runPeer(python, "numpy_gemm.py", [key]),
                let v = result[key] as? Double
            {
                theirs.append(v)
            }
            ours.append(gemmGFLOPs(shape))
        }
        let mine = median(ours), peer = theirs.isEmpty ? nil : median(theirs)
        var line =
            pad(shape.form, 16) + pad(key, 16) + pad(String(format: "%.1f", mine), 12)
            + pad(peer.map { String(format: "%.1f", $0) } ?? "-", 8)
            + pad(peer.map { String(format: "%.2f×", mine / $0) } ?? "", 10)
        var shares = String(format: "%.0f%%", 100 * mine / peak)
        if let blas {
            let paired = pairedGEMM(shape, blas, pairs: options.pairs)
            line +=
                pad(String(format: "%.1f", paired.ours), 12) + pad(String(format: "%.1f", paired.blas), 10)
                + pad(String(format: "%.3f×", paired.ratio), 8)
            shares = String(format: "%.0f%%, %.0f%%", 100 * paired.shareOfPeak.ours, 100 * paired.shareOfPeak.blas)
        }
        results.record("gemm_gflops_\(key)", mine)
        if let peer { results.record("gemm_ratio_over_numpy_\(key)", mine / peer) }
        print(line + shares)
    }
}

/// One shape, alternating a sample of SwiftTuner and a sample of OpenBLAS (which goes first
/// alternates too) `pairs` times on the same operands, each pair followed by a sample of the
/// core's peak: each side's GFLOP/s over all its samples, the median of the pairs' speed ratios
/// (SwiftTuner / OpenBLAS), and each side's median share of the peak measured beside each pair.
func pairedGEMM(
    _ shape: GEMMShape, _ blas: OpenBLASLibrary,
    pairs: Int
) -> (ours: Double, blas: Double, ratio: Double, shareOfPeak: (ours: Double, blas: Double)) {
    let (m, n, k) = (shape.m, shape.n, shape.k)
    let (a, b, transposeA, transposeB) = gemmOperands(shape)
    var c = Matrix(rows: m, columns: n)
    let flops = 2.0 * Double(m * n * k)
    let calls = max(1, Int(1e8 / flops))
    var totals = [0.0, 0.0], ratios: [Double] = [], shares: [[Double]] = [[], []]
    a.withUnsafePointer { ap in
        b.withUnsafePointer { bp in
            c.withUnsafeMutablePointer { cp in
                func sample(_ side: Int) -> Double {
                    time {
                        for _ in 0..<calls {
                            if side == 0 {
                                Kernels.gemm(
                                    m: m, n: n, k: k, ap, lda: a.columns, bp, ldb: b.columns, cp, ldc: n,
                                    transposeA: transposeA, transposeB: transposeB)
                            } else {
                                blas.gemm(
                                    m: m, n: n, k: k, ap, lda: a.columns, bp, ldb: b.columns, cp, ldc: n,
                                    transposeA: transposeA, transposeB: transposeB)
                            }
                        }
                    }
                }
                // Both sides must compute the same product (a wrong CBLAS binding would time another).
                _ = sample(0)
                let ours = Array(UnsafeBufferPointer(start: cp, count: m * n))
                _ = sample(1)
                var worst: Float = 0
                for i in 0..<(m * n) { worst = max(worst, abs(ours[i] - cp[i]) / max(1, abs(cp[i]))) }
                if worst > 1e-4 { print("  (\(gemmKey(shape)): OpenBLAS and SwiftTuner differ by \(worst))") }
                for pair in 0..<pairs {
                    var t = [0.0, 0.0]
                    for side in pair % 2 == 0 ? [0, 1] : [1, 0] { t[side] = sample(side) }
                    totals[0] += t[0]; totals[1] += t[1]
                    ratios.append(t[1] / t[0])
                    // About a millisecond of multiply-add chains.
                    let peak = Kernels.measuredPeak(rounds: 1, steps: 500_000)
                    for side in 0..<2 { shares[side].append(flops * Double(calls) / t[side] / 1e9 / peak) }
                }
            }
        }
    }
    let total = flops * Double(calls * pairs) / 1e9
    return (total / totals[0], total / totals[1], median(ratios), (median(shares[0]), median(shares[1])))
}

func trialTimes(_ options: TrainerOptions, results: BenchmarkResults) throws {

    // 2. A whole trial of the guide's model: build + fit (64, 32 units, 100 samples, batch 32, 10 epochs).
    let x = Matrix.random(rows: 100, columns: 20, seed: 1), y = Matrix.random(rows: 100, columns: 1, seed: 2)
    let xv = Matrix.random(rows: 100, columns: 20, seed: 3), yv = Matrix.random(rows: 100, columns: 1, seed: 4)
    func trial(_ units: [Int], seed: UInt64) throws {
        let model = try Sequential(
            units.enumerated().map { i, u in Dense(u, inputSize: i == 0 ? 20 : nil) } + [Dense(1)])
        model.compile(optimizer: .adam(), loss: .meanSquaredError)
        try model.fit(x: x, y: y, batchSize: 32, epochs: 10, validationData: (xv, yv), seed: seed)
    }
    var small: [Double] = [], large: [Double] = []
    for seed in 0..<50 { small.append(try time { try trial([64, 32], seed: UInt64(seed)) }) }
    for seed in 0..<5 { large.append(try time { try trial([512, 512], seed: UInt64(seed)) }) }
    print(
        String(
            format: "\nwhole trial, guide model (64, 32), build + fit: SwiftTuner %.3f ms (median of 50)",
            median(small) * 1000))
    print(
        String(
            format: "whole trial, (512, 512), build + fit:          SwiftTuner %.2f ms (median of 5)",
            median(large) * 1000))
    results.record("trial_seconds_64_32", median(small))
    results.record("trial_seconds_512_512", median(large))
    if let python = options.python, let peers = runPeer(python, "mlp_peers.py", ["trial"]) {
        for (name, value) in peers { if let v = value as? Double { results.record("peer_seconds_\(name)", v) } }
        for (name, value) in peers.sorted(by: { $0.key < $1.key }) {
            if let v = value as? Double { print("  " + pad(name, 44) + String(format: "%10.2f ms", v * 1000)) }
        }
        if let sk = peers["sklearn MLPRegressor (64, 32)"] as? Double {
            print(String(format: "  ratio sklearn / SwiftTuner (64, 32): %.0f×", sk / median(small)))
        }
        if let keras = peers["keras+jax fresh model (64, 32)"] as? Double {
            print(String(format: "  ratio keras+jax / SwiftTuner (64, 32): %.0f×", keras / median(small)))
        }
        if let compiled = peers["keras+jax compiled fit (512, 512)"] as? Double {
            print(String(format: "  ratio keras+jax compiled / SwiftTuner (512, 512): %.2f×", compiled / median(large)))
        }
    }
}

/// Pads text with spaces to a width.
func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}
