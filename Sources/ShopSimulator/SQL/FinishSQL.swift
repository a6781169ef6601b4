/// After the replay: the truth, the users' `updated_at` as the history left it, the constraints
/// and indexes, statistics.
enum FinishSQL {
    static let insertTruth = #"""
    INSERT INTO simulator.truth (user_id, username, category, bug_excess, other_drift, handler_credits, note,
                                 expected_balance, expected_ledger)
    SELECT id, username, category, bug_excess, other_drift, handler_credits, note, expected_balance, expected_ledger
    FROM simulator_stage.users
    """#

    /// The `updated_at` trigger stamped the load's wall-clock time; put back the simulated time of
    /// each user's last update, so equal seeds give equal databases.
    static let restoreUpdatedAt = #"""
    ALTER TABLE public.users DISABLE TRIGGER update_users_updated_at;
    UPDATE public.users u SET updated_at = to_timestamp(s.last_update_at)
    FROM simulator_stage.users s
    WHERE u.id = s.id;
    ALTER TABLE public.users ENABLE TRIGGER update_users_updated_at;
    """#

    static let analyze = "ANALYZE public.users; ANALYZE public.transactions; ANALYZE simulator.truth;"

    /// Session settings for the bulk load, and their reset.
    static let loadSettings = #"""
    SET synchronous_commit = off;
    SET client_min_messages = warning;
    SET jit = off;
    SET maintenance_work_mem = '512MB';
    SET work_mem = '64MB';
    """#
    static let resetSettings = #"""
    RESET synchronous_commit; RESET client_min_messages; RESET jit; RESET maintenance_work_mem; RESET work_mem;
    RESET enable_hashjoin; RESET enable_mergejoin; RESET enable_memoize;
    """#

    /// While replaying: each statement touches rows by primary key, so nested loops over the key
    /// are right at any size, whatever the stale statistics of the growing tables suggest. (Not
    /// for the foreign key's validation afterwards, which wants one hash join.)
    static let replaySettings = "SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_memoize = off;"
    static let resetReplaySettings = "RESET enable_hashjoin; RESET enable_mergejoin; RESET enable_memoize;"

    /// Free space in each page while the history is replayed: the rows are updated many times
    /// (a user's balance about ten), and with room on the page PostgreSQL updates in place (HOT)
    /// instead of adding index entries. Reset afterwards, so the tables look as deployed.
    static let roomForUpdates = #"""
    ALTER TABLE public.users SET (fillfactor = 50);
    ALTER TABLE public.transactions SET (fillfactor = 70);
    """#
    static let resetRoomForUpdates = #"""
    ALTER TABLE public.users RESET (fillfactor);
    ALTER TABLE public.transactions RESET (fillfactor);
    """#
}
