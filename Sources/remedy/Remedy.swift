import ArgumentParser

@main
struct Remedy: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "remedy",
        abstract: "Repair wallet balances after money bugs: detect → plan → approve → apply → verify, exactly once, audited.",
        discussion: """
        remedy runs remediation jobs (jobs/NAME/job.yaml + SQL) against the shop's PostgreSQL.
        A plan is a dry run that changes nothing; apply needs the plan's approvals by a quorum
        of trusted people and moves each balance once, with an audit row.

        The database comes from --database-url, DATABASE_URL, or libpq's own environment
        (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGSSLMODE, ~/.pgpass, PGSERVICE).

        Start with `remedy demo`: a throwaway PostgreSQL with a simulated incident, the whole
        pipeline, then everything removed.
        """,
        version: version,
        subcommands: [
            DemoCommand.self, InitCommand.self, KeygenCommand.self, PlanCommand.self, ShowCommand.self,
            ApproveCommand.self, ApplyCommand.self, VerifyCommand.self, ExportCommand.self, RevertCommand.self, AuditCommand.self, ApproversCommand.self,
            SimulateCommand.self,
        ]
    )
}
