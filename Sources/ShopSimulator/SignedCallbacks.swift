import Postgres

/// Issue 14: the callback handler kept each Tripay callback's raw body (`tripay_callback_raw
/// text`) and its `X-Callback-Signature` (`tripay_callback_signature`), signed with a known test
/// merchant key; optionally some are then forged, altered or left unsigned, recorded in
/// `simulator.tampered_callbacks` (the truth the tests judge remedy's verification by).
public struct SignedCallbacks: Sendable, Equatable {
    /// The merchant's private key the callbacks are signed with (a test key: at most 64 bytes).
    public var privateKey: String
    /// Callbacks given a signature made without the key.
    public var forged: Int
    /// Callbacks whose stored body was changed after signing (amount_received raised).
    public var altered: Int
    /// Callbacks stored without their signature.
    public var unsigned: Int

    public init(privateKey: String, forged: Int = 0, altered: Int = 0, unsigned: Int = 0) {
        self.privateKey = privateKey
        self.forged = forged
        self.altered = altered
        self.unsigned = unsigned
    }

    func validate() throws {
        guard !privateKey.isEmpty, privateKey.utf8.count <= 64 else {
            throw ShopSimulatorError.invalidOptions("the callbacks' private key must be 1 to 64 bytes")
        }
        guard forged >= 0, altered >= 0, unsigned >= 0 else {
            throw ShopSimulatorError.invalidOptions("forged, altered and unsigned callback counts must not be negative")
        }
    }

    /// Stores, signs and tampers, in one transaction, on the loaded shop (tables in public).
    func apply(on connection: PostgresConnection) throws {
        try validate()
        // HMAC's two keyed blocks; the digest itself is SHA-256 in SQL, set-based.
        let block = Array(privateKey.utf8) + Array(repeating: 0, count: 64 - privateKey.utf8.count)
        let inner = block.map { $0 ^ 0x36 }
        let outer = block.map { $0 ^ 0x5c }
        try connection.transaction {
            try connection.executeScript(SignedCallbacksSQL.addColumns)
            try connection.execute(SignedCallbacksSQL.storeRawBodies)
            try connection.execute(SignedCallbacksSQL.signBodies, [inner, outer])
            try connection.execute(SignedCallbacksSQL.pickTampered, [forged, altered, unsigned])
            try connection.execute(SignedCallbacksSQL.tamper)
            try connection.execute(SignedCallbacksSQL.enableTriggers)
        }
        // Every row with a callback was rewritten: fresh statistics, as the load leaves them.
        try connection.execute("ANALYZE public.transactions")
    }
}
