import Foundation
import TestSupport

/// A shop's database frozen at one moment (a copy made with `CREATE DATABASE … TEMPLATE`), so a
/// test can start again from exactly that state under the same database name: remedy's identity
/// of the database (installation id, name, cluster) is unchanged and the same signed plan applies.
final class ShopSnapshot {
    let shop: EndToEndShop
    private let frozen: TestDatabase

    init(_ shop: EndToEndShop) throws {
        self.shop = shop
        frozen = try shop.withoutConnection { try shop.database.copy() }
    }

    /// Puts the database back as it was, and forgets the run reports apply wrote into `bundle`.
    func restore(bundle: String) throws {
        try shop.withoutConnection { try shop.database.replace(withCopyOf: frozen) }
        try? FileManager.default.removeItem(atPath: bundle + "/runs")
    }

    deinit { try? frozen.drop() }
}
