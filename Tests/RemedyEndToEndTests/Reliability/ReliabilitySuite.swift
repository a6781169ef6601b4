import Testing

/// Issue 6, "Reliability suite": evidence a reviewer can re-run that apply is exactly-once under
/// crashes, correct under live traffic, short in its locks, and refuses what it must.
/// `swift test --filter ReliabilitySuite`; `REMEDY_RELIABILITY_SEED` replays a run,
/// `REMEDY_RELIABILITY_SCALE=N` makes it N times larger.
///
/// CHECKLIST (filled in below)
@Suite("Reliability suite (issue 6)")
struct ReliabilitySuite {}
