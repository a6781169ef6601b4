enum VerifySQL {
    /// The users a plan's runs booked a correction for.
    static let touchedUsers = "SELECT DISTINCT user_id FROM remedy.entries WHERE plan_digest = $1 ORDER BY user_id"
}
