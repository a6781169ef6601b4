import Foundation
import Testing
@testable import RemedyCore

/// The HTML report in a real browser: Debian's headless Chromium renders it to a PNG that must not
/// be blank, and its DOM after scripts ran must hold the totals as formatted. Where chromium is
/// missing the test is skipped with a notice, so a newcomer's `swift test` passes; CI installs
/// chromium and sets REMEDY_REQUIRE_BROWSER=1 (.ci/run), under which a missing chromium fails.
@Suite("Export: the HTML report in headless Chromium")
struct ExportBrowserTests {
    static let chromium = findChromium()
    static let required = ProcessInfo.processInfo.environment["REMEDY_REQUIRE_BROWSER"] == "1"

    @Test(.enabled(if: chromium != nil || required,
                   "chromium is not installed, so the HTML report is not rendered: `apt-get install -y chromium` to run this test (CI does, with REMEDY_REQUIRE_BROWSER=1)"))
    func theReportRendersWithItsTotals() throws {
        guard let chromium = Self.chromium else {
            Issue.record("REMEDY_REQUIRE_BROWSER=1 but chromium is not installed: `apt-get install -y chromium`")
            return
        }
        let (fixture, _) = try ExportFixture.make(seed: 16)
        let document = try fixture.document()
        let directory = fixture.harness.directory
        let page = "\(directory)/report.html"
        try HTMLReport.render(document).write(to: URL(fileURLWithPath: page))
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                      "--disable-dev-shm-usage", "--user-data-dir=\(directory)/chromium-profile"]

        // What a person sees: a screenshot with plenty of ink on it.
        let png = "\(directory)/report.png"
        _ = try Self.run(chromium, common + ["--screenshot=\(png)", "--window-size=1200,1600", "file://\(page)"])
        #expect(FileManager.default.fileExists(atPath: png), "chromium wrote no screenshot")
        let pixels = try Self.run("python3", ["-c", Self.pngInkScript, png]).split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        try #require(pixels.count == 3, "the PNG could not be decoded")
        let (total, nonWhite, dark) = (pixels[0], pixels[1], pixels[2])
        #expect(total == 1200 * 1600)
        #expect(nonWhite > total / 50, "the page is (nearly) blank: \(nonWhite) of \(total) pixels are not white")
        #expect(dark > 2_000, "hardly any text: \(dark) dark pixels")

        // What the page says once its script ran: the totals, and the filter switched on (the CSP let it run).
        let dom = try Self.run(chromium, common + ["--dump-dom", "file://\(page)"])
        #expect(dom.contains(document.totals.takenBack.rupiah))
        #expect(dom.contains(document.totals.overCreditFound.rupiah))
        #expect(dom.contains("<th>Taken back</th><td class=\"num\">\(document.totals.takenBack.rupiah)</td>"))
        #expect(dom.contains("<div id=\"filters\">"), "the filter script ran (it unhides the filter box)")
        #expect(dom.contains("\(document.lines.count) / \(document.lines.count)"))
        #expect(dom.contains("&lt;img src=x onerror=alert(1)&gt;"))
        #expect(!dom.contains("<img"))
    }

    static func findChromium() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") + ["/usr/bin"] {
            for name in ["chromium", "chromium-browser"] {
                let candidate = "\(directory)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return nil
    }

    /// Runs a program with a time limit; stdout as text. Its stderr goes to a file, not a pipe,
    /// so a chatty browser cannot block on a full pipe.
    static func run(_ program: String, _ arguments: [String], seconds: Double = 120) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program.hasPrefix("/") ? program : "/usr/bin/env")
        process.arguments = program.hasPrefix("/") ? arguments : [program] + arguments
        let output = NSTemporaryDirectory() + "remedy-browser-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        _ = FileManager.default.createFile(atPath: output + ".err", contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: output)
            try? FileManager.default.removeItem(atPath: output + ".err")
        }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: output + ".err"))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw BrowserFailure(description: "\(program) did not finish within \(Int(seconds)) s")
        }
        let text = String(decoding: FileManager.default.contents(atPath: output) ?? Data(), as: UTF8.self)
        guard process.terminationStatus == 0 else {
            let errors = String(decoding: FileManager.default.contents(atPath: output + ".err") ?? Data(), as: UTF8.self)
            throw BrowserFailure(description: "\(program) exited \(process.terminationStatus): \(errors.suffix(2_000))")
        }
        return text
    }

    struct BrowserFailure: Error, CustomStringConvertible { let description: String }

    /// Decodes an 8-bit RGB/RGBA PNG with zlib and the five scanline filters; prints
    /// "pixels non-white dark".
    static let pngInkScript = #"""
    import struct, sys, zlib
    data = open(sys.argv[1], 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
    pos, idat, width = 8, b'', 0
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b'IHDR':
            width, height, depth, color = struct.unpack('>IIBB', body[:10])
            assert depth == 8 and color in (2, 6), 'unexpected PNG format'
            bpp = 3 if color == 2 else 4
        elif kind == b'IDAT':
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    previous = bytearray(stride)
    total = nonwhite = dark = 0
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = previous[i]
            c = previous[i - bpp] if i >= bpp else 0
            if kind == 1: line[i] = (line[i] + a) & 255
            elif kind == 2: line[i] = (line[i] + b) & 255
            elif kind == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        for x in range(0, stride, bpp):
            r, g, bl = line[x], line[x + 1], line[x + 2]
            total += 1
            if r < 245 or g < 245 or bl < 245: nonwhite += 1
            if r < 100 and g < 100 and bl < 100: dark += 1
        previous = line
    print(total, nonwhite, dark)
    """#
}
