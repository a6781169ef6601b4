import Foundation

/// Opens a page in headless Chromium as Tests/RemedyCoreTests/ExportBrowserTests does and times
/// it: `--dump-dom` returns once the page has loaded and its scripts ran.
struct HeadlessBrowser {
    /// A page too large to open is a finding, not a reason to wait forever: timeout(1) ends Chromium.
    static let timeoutSeconds = 300

    let chromium: String
    let work: String

    static func find() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            for name in ["chromium", "chromium-browser"] where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
                return "\(directory)/\(name)"
            }
        }
        return nil
    }

    func render(_ page: String) throws -> BrowserFigures {
        note("headless Chromium renders \(page)")
        let arguments = ["/usr/bin/timeout", "\(Self.timeoutSeconds)", chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                         "--disable-dev-shm-usage", "--user-data-dir=\(work)/chromium-profile", "--dump-dom", "file://\(page)"]
        let run = try ChildRun.measured(arguments, stdoutPath: "\(work)/chromium.stdout", stderrPath: "\(work)/chromium.stderr")
        let dom = (try? String(contentsOfFile: run.stdoutPath, encoding: .utf8)) ?? ""
        let figures = BrowserFigures(bytes: fileSize(page), run: run, rendered: run.exitStatus == 0 && dom.contains("<title>remedy"))
        note("  \(format(megabytes(figures.bytes), digits: 1)) MB: exit \(run.exitStatus) after \(format(run.seconds)) s\(run.exitStatus == 124 ? " (timed out)" : "")")
        return figures
    }
}
