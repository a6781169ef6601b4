/// Random lowercase hex, safe in paths, conninfo values and SQL identifiers.
enum RandomName {
    static func hex(length: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef")
        return String((0..<length).map { _ in digits[Int(generator.next() % 16)] })
    }
}
