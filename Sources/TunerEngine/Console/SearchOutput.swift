import Foundation
import TunerCore

/// Where a search writes its console lines.
///
/// ```swift
/// let capture = CapturedOutput()
/// tuner.output = capture          // tests read capture.lines
/// ```
public protocol SearchOutput: AnyObject {
    /// Writes one line.
    func line(_ text: String)
    /// Shows a transient progress line (terminals only); `nil` clears it.
    func progress(_ text: String?)
}

/// Writes lines to standard output, with a live progress line when it is a terminal.
public final class StandardOutput: SearchOutput {
    private let isTerminal = isatty(STDOUT_FILENO) == 1
    private var showingProgress = false
    /// Called once when standard output turns out to be a closed pipe (`tuner search … | head`):
    /// the search stops as for SIGPIPE, which is not delivered while it is ignored.
    var onBrokenPipe: (() -> Void)?

    /// Makes the output.
    public init() {}

    /// Writes one line, clearing the progress line first.
    public func line(_ text: String) {
        clearProgress()
        // Through C's stdout, so that lines interleave with the program's own print().
        print(text)
        flush()
    }

    private func flush() {
        if fflush(nil) == EOF && errno == EPIPE, let report = onBrokenPipe {
            onBrokenPipe = nil
            report()
        }
    }

    /// Shows a progress line on a terminal; does nothing otherwise.
    public func progress(_ text: String?) {
        guard isTerminal else { return }
        clearProgress()
        if let text {
            print(text, terminator: "")
            flush()
            showingProgress = true
        }
    }

    private func clearProgress() {
        if showingProgress {
            print("\r\u{1B}[K", terminator: "")
            showingProgress = false
        }
    }
}

/// Keeps lines in memory, for tests and embedding.
public final class CapturedOutput: SearchOutput {
    /// The lines written so far.
    public private(set) var lines: [String] = []

    /// Makes an empty capture.
    public init() {}

    /// Keeps a line.
    public func line(_ text: String) {
        lines.append(contentsOf: text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
    }

    /// Ignores progress.
    public func progress(_ text: String?) {}

    /// All lines joined.
    public var text: String { lines.joined(separator: "\n") }
}

/// Pads or cuts a cell to KerasTuner's column width of 18.
func cell(_ text: String) -> String {
    text.count >= 18 ? String(text.prefix(17)) + " " : text.padding(toLength: 18, withPad: " ", startingAt: 0)
}
