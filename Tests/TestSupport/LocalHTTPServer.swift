import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 server on 127.0.0.1 for webhook tests: answers each request with the next
/// scripted status (then 200), records the bodies, and stops by itself after `maxRequests`.
public final class LocalHTTPServer: @unchecked Sendable {
    public let port: Int
    private let socketDescriptor: Int32
    private let lock = NSLock()
    private var statuses: [Int]
    private var received: [(path: String, body: Data)] = []
    private let maxRequests: Int
    private let finished = DispatchSemaphore(value: 0)

    public init(statuses: [Int] = [], maxRequests: Int = 64) throws {
        self.statuses = statuses
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

    public func stop() {
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
        let requestLine = String(decoding: data.prefix(while: { $0 != 13 }), as: UTF8.self)
        let path = requestLine.split(separator: " ").dropFirst().first.map(String.init) ?? ""
        lock.lock()
        received.append((path, headerEnd.map { Data(data[$0.upperBound...]) } ?? Data()))
        let status = statuses.isEmpty ? 200 : statuses.removeFirst()
        lock.unlock()
        let response = "HTTP/1.1 \(status) X\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
        _ = response.withCString { write(client, $0, strlen($0)) }
    }
}
