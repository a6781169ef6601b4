import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 server on 127.0.0.1 for webhook and gateway tests: answers each request with
/// the next scripted status (then 200), or with what `responder` returns; records every request
/// (path, headers, body), and stops by itself after `maxRequests`.
public final class LocalHTTPServer: @unchecked Sendable {
    public struct Request: Sendable {
        public let method: String
        /// The request target: path and query.
        public let path: String
        /// Header names lowercased.
        public let headers: [String: String]
        public let body: Data
        /// The whole request as received, for leak checks.
        public let raw: Data
    }

    public struct Response: Sendable {
        public var status: Int
        public var body: Data
        public var headers: [String: String]

        public init(status: Int, body: Data = Data("ok".utf8), headers: [String: String] = ["Content-Type": "text/plain"]) {
            self.status = status
            self.body = body
            self.headers = headers
        }
    }

    public let port: Int
    private let socketDescriptor: Int32
    private let lock = NSLock()
    private var statuses: [Int]
    private var received: [Request] = []
    private let maxRequests: Int
    private let responder: (@Sendable (Request) -> Response)?

    public init(statuses: [Int] = [], maxRequests: Int = 64, responder: (@Sendable (Request) -> Response)? = nil) throws {
        self.statuses = statuses
        self.responder = responder
        self.maxRequests = maxRequests
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        guard bound == 0, listen(descriptor, 16) == 0 else { close(descriptor); throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        socketDescriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in serve() }
    }

    public var url: String { "http://127.0.0.1:\(port)/hooks/T000SECRET/B000TOKEN" }

    /// The bodies received so far, as JSON objects.
    public var bodies: [[String: Any]] {
        lock.lock(); defer { lock.unlock() }
        return received.compactMap { try? JSONSerialization.jsonObject(with: $0.body) as? [String: Any] }
    }

    public var requestCount: Int { lock.lock(); defer { lock.unlock() }; return received.count }

    /// Every request received so far.
    public var requests: [Request] { lock.lock(); defer { lock.unlock() }; return received }

    private var stopped = false

    /// Stops accepting; once only (a second close could close a descriptor reused meanwhile).
    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        shutdown(socketDescriptor, Int32(SHUT_RDWR))
        close(socketDescriptor)
    }

    deinit { stop() }

    private func serve() {
        for _ in 0..<maxRequests {
            let client = accept(socketDescriptor, nil, nil)
            guard client >= 0 else { return }
            handle(client)
            close(client)
        }
    }

    private func handle(_ client: Int32) {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var expected: Int?
        // Bounded: a request larger than 1 MiB or a peer that stops sending ends the read.
        while data.count < 1 << 20 {
            let count = read(client, &buffer, buffer.count)
            guard count > 0 else { break }
            data.append(contentsOf: buffer[0..<count])
            if let headerEnd = data.range(of: Data("\r\n\r\n".utf8)) {
                let headers = String(decoding: data[..<headerEnd.lowerBound], as: UTF8.self).lowercased()
                let length = headers.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                expected = headerEnd.upperBound + length
            }
            if let expected, data.count >= expected { break }
        }
        let headerEnd = data.range(of: Data("\r\n\r\n".utf8))
        let head = String(decoding: data[..<(headerEnd?.lowerBound ?? data.endIndex)], as: UTF8.self).split(separator: "\r\n").map(String.init)
        let requestLine = head.first ?? ""
        let parts = requestLine.split(separator: " ").map(String.init)
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let request = Request(method: parts.first ?? "", path: parts.dropFirst().first ?? "", headers: headers,
                              body: headerEnd.map { Data(data[$0.upperBound...]) } ?? Data(), raw: data)
        lock.lock()
        received.append(request)
        let scripted = statuses.isEmpty ? nil : statuses.removeFirst()
        lock.unlock()
        var response = responder.map { $0(request) } ?? Response(status: 200)
        if let scripted { response = Response(status: scripted) }
        var text = "HTTP/1.1 \(response.status) X\r\n"
        for (name, value) in response.headers.sorted(by: { $0.key < $1.key }) { text += "\(name): \(value)\r\n" }
        text += "Content-Length: \(response.body.count)\r\nConnection: close\r\n\r\n"
        let bytes = Data(text.utf8) + response.body
        bytes.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let count = write(client, raw.baseAddress! + sent, raw.count - sent)
                guard count > 0 else { return }
                sent += count
            }
        }
    }
}
