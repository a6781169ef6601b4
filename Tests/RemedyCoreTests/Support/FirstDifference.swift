/// The first index where two byte sequences differ (a prefix differs at the shorter's end): where a
/// failing comparison's outputs part.
func firstDifference(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Int? {
    var index = 0
    var left = a.makeIterator()
    var right = b.makeIterator()
    while true {
        switch (left.next(), right.next()) {
        case (nil, nil): return nil
        case (let x?, let y?) where x == y: index += 1
        default: return index
        }
    }
}
