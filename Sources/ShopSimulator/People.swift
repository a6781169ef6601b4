/// Members' names, usernames and e-mail addresses: mostly ordinary Indonesian names, some hostile
/// (quotes, unicode, emoji, a leading `=`, HTML, backslashes, tabs). Usernames carry the member's
/// number, so they are unique without a lookup.
struct Person: Sendable {
    let username: String
    let email: String?
    let fullName: String?
    let role: String
}

enum People {
    private static let firstNames = [
        "Budi", "Siti", "Agus", "Dewi", "Rizky", "Putri", "Andi", "Wahyu", "Fitri", "Dian", "Eko", "Indah",
        "Yusuf", "Nur", "Ahmad", "Sri", "Bayu", "Ayu", "Hendra", "Ratna", "Fajar", "Rina", "Joko", "Lestari",
        "Arif", "Maya", "Dimas", "Wulan", "Gilang", "Intan", "Reza", "Novi", "Teguh", "Citra", "Yoga", "Nadia",
        "Made", "Ketut", "Komang", "Ni Luh", "I Gusti", "Muhammad", "Aditya", "Kurniawan", "Tio", "Steven",
    ]
    private static let lastNames = [
        "Santoso", "Wijaya", "Saputra", "Pratama", "Hidayat", "Nugroho", "Lestari", "Kurniawan", "Setiawan",
        "Siregar", "Nasution", "Harahap", "Simanjuntak", "Wibowo", "Susanto", "Halim", "Tanoto", "Gunawan",
        "Putra", "Sari", "Rahman", "Hakim", "Firmansyah", "Ramadhan", "Maulana", "Utami", "Anggraini", "",
    ]
    private static let domains = ["gmail.com", "yahoo.co.id", "gmail.com", "outlook.com", "gmail.com", "ymail.com"]

    /// Names that break naive code: spreadsheet formulas, markup, quotes, unicode, escapes.
    private static let hostile: [(username: String, fullName: String)] = [
        ("o'brien", "Seán O'Brien"),
        ("=cmd_calc", "=HYPERLINK(\"http://x.example\",\"klik\")"),
        ("+saldo", "+62 812-3456-7890"),
        ("<script>alert(1)</script>", "<b>Admin</b> Toko"),
        ("robert'); drop table users;--", "Robert'); DROP TABLE users;--"),
        ("\"quoted\"", "\"Si Paling\" Cuan"),
        ("dewi🌸", "Dewi 🌸 Lestari"),
        ("nguyễn", "Nguyễn Văn Ánh"),
        ("back\\slash", "C:\\Users\\budi"),
        ("tab\tname", "Nama\tDengan\tTab"),
        ("line\nbreak", "Baris\nBaru"),
        ("ÅNGSTRÖM", "Ångström Ülker"),
        ("‮reversed", "right‮to‮left"),
        ("     spaces", "  leading and trailing  "),
        ("%s%s%n", "%d %x {{7*7}}"),
        ("null", "NULL"),
    ]

    static func make(number: Int, _ random: inout SimulationRandom) -> Person {
        let role = random.weighted([("member", 95), ("reseller", 4), ("admin", 1)])
        if random.chance(2, in: 100) {
            let pick = random.element(hostile)
            let username = pick.username + "_" + String(number)
            let email: String? = random.chance(1, in: 2) ? nil : "\"\(pick.username)\"+\(number)@example.com"
            return Person(username: username, email: email, fullName: pick.fullName, role: role)
        }
        let first = random.element(firstNames)
        let last = random.element(lastNames)
        let full = last.isEmpty ? first : first + " " + last
        let handle = ascii(first) + random.element(["", ".", "_"]) + ascii(last)
        let username = handle + String(number)
        let email: String? = random.chance(8, in: 100) ? nil : username + "@" + random.element(domains)
        let fullName: String? = random.chance(5, in: 100) ? nil : full
        return Person(username: username, email: email, fullName: fullName, role: role)
    }

    private static func ascii(_ name: String) -> String {
        String(name.lowercased().unicodeScalars.filter { $0.isASCII && $0 != " " }.map(Character.init))
    }
}
