import CLibPQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension PostgresConnection {
    /// Runs one statement with bound parameters ($1, $2, …) and returns all its rows.
    public func query(_ sql: String, _ parameters: [any PostgresEncodable] = []) throws -> [PostgresRow] {
        try run(sql, parameters).rows
    }

    /// Runs one statement with bound parameters; returns the rows it affected (PQcmdTuples), 0 if none.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [any PostgresEncodable] = []) throws -> Int {
        try run(sql, parameters).rowsAffected
    }

    /// Runs several statements through the simple-query protocol, without parameters: for trusted DDL files only.
    public func executeScript(_ sql: String) throws {
        let handle = try liveHandle()
        try Self.rejectNUL(in: sql, what: "the script")
        _ = try finish(PQexec(handle, sql), handle: handle)
    }

    /// One statement through the extended protocol (PostgresParameterValues: text, or binary where a value has it).
    func run(_ sql: String, _ parameters: [any PostgresEncodable]) throws -> PostgresStatementResult {
        let handle = try liveHandle()
        let result = try PostgresParameterValues(sql, parameters).withLibPQArrays { count, values, lengths, formats in
            PQexecParams(handle, sql, count, nil, values, lengths, formats, 0)
        }
        return try finish(result, handle: handle)
    }

    /// C strings end at NUL, so text holding one would be silently cut short (and PostgreSQL text
    /// cannot hold one, whatever the format it is sent in).
    static func rejectNUL(in text: String, what: String) throws {
        // memchr over the contiguous bytes: the generic contains() was 8% of apply's CPU, which
        // sends about 2 MB of parameters per batch.
        let hasNUL = text.utf8.withContiguousStorageIfAvailable { bytes in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return false }
            return memchr(base, 0, bytes.count) != nil
        } ?? text.utf8.contains(0)
        if hasNUL {
            throw PostgresError(kind: .protocolViolation, message: "\(what) contains a NUL byte, which PostgreSQL text cannot hold")
        }
    }
}
