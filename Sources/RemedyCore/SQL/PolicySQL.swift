/// Standing policies' statements: what automatic plans moved recently, from remedy's own book.
enum PolicySQL {
    /// Per user, what lines of the job's automatic plans (those authorised by a standing policy,
    /// whichever) moved in the last 24 hours, by the database's clock; `$2` is a plan left out
    /// (the one being applied: its own lines are counted as lines, not as history).
    static let movedInTheLastDay = #"""
    SELECT e.user_id, sum(abs(e.balance_after - e.balance_before))::text
      FROM remedy.entries e
      JOIN remedy.plans p ON p.digest = e.plan_digest
     WHERE p.job = $1 AND p.standing_policy IS NOT NULL AND e.kind = 'discovered'
       AND e.booked_at > now() - interval '24 hours' AND e.plan_digest <> $2
     GROUP BY e.user_id
    """#
}
