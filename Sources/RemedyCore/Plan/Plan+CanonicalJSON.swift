import Rupiah

// plan.json's header as CanonicalJSONReader reads it: the fields CanonicalJSON.encode writes (keys
// in sorted snake_case order, a nil optional left out), with the four line arrays empty, as the
// plan reader's walk leaves them (CanonicalPlanScanner hands their elements on one at a time). So
// one reader reads every byte of a plan, and the header's reader is, like the lines', the proof
// that it is in canonical form.

extension Plan: CanonicalJSONReadable {
    init?(members m: inout CanonicalJSONReader.Members) {
        guard m.emptyArray("adjustments"),
              let database = m.member("database", DatabaseIdentity.init(reading:)),
              let evidence = m.member("evidence", PlanEvidence.init(reading:)),
              let expiresAt = m.string("expires_at"), let format = m.string("format"),
              let gateway = m.optionalMember("gateway", GatewayCheck.init(reading:)),
              // Present and empty in a v2 plan; absent from a v1 plan, which has no such array.
              let hasGatewayChecks = m.optionalMember("gateway_checks", { $0.emptyArray() }),
              m.emptyArray("holds"),
              let job = m.string("job"), let jobVersion = m.int("job_version"), let kind = m.rawValue("kind", as: Kind.self),
              let negativeBalancePolicy = m.rawValue("negative_balance_policy", as: NegativeBalancePolicy.self),
              let parameters = m.member("parameters", { $0.stringMap(keys: SpecName.isParameter) }),
              let planner = m.member("planner", Approver.init(reading:)),
              let quorum = m.strings("quorum"),
              let readReplica = m.optionalMember("read_replica", ReadReplicaPosition.init(reading:)),
              let reverts = m.optionalString("reverts"),
              m.emptyArray("settled"),
              let snapshotAt = m.string("snapshot_at"), let specDigest = m.string("spec_digest"),
              let standingPolicy = m.optionalString("standing_policy"),
              let totals = m.member("totals", PlanTotals.init(reading:)),
              let warnings = m.strings("warnings") else { return nil }
        self.init(format: format, kind: kind, job: job, jobVersion: jobVersion, specDigest: specDigest, parameters: parameters,
                  database: database, snapshotAt: snapshotAt, expiresAt: expiresAt, planner: planner, quorum: quorum,
                  negativeBalancePolicy: negativeBalancePolicy, evidence: evidence, reverts: reverts, standingPolicy: standingPolicy,
                  adjustments: [], holds: [], settled: [], totals: totals, warnings: warnings, readReplica: readReplica,
                  gateway: gateway, gatewayChecks: hasGatewayChecks == nil ? nil : [])
    }
}

extension PlanEvidence: CanonicalJSONReadable {
    init?(members m: inout CanonicalJSONReader.Members) {
        guard let balanceCheckConstraints = m.strings("balance_check_constraints"), let triggerRefires = m.bool("trigger_refires"),
              let triggerRefiresReason = m.string("trigger_refires_reason"),
              let triggers = m.member("triggers", { $0.array(TriggerEvidence.init(reading:)) }) else { return nil }
        self.init(triggers: triggers, triggerRefires: triggerRefires, triggerRefiresReason: triggerRefiresReason,
                  balanceCheckConstraints: balanceCheckConstraints)
    }
}

extension PlanTotals: CanonicalJSONReadable {
    init?(members m: inout CanonicalJSONReader.Members) {
        self.init()
        guard let acknowledgedCount = m.int("acknowledged_count"), let adjustmentCount = m.int("adjustment_count"),
              let ambiguousCount = m.int("ambiguous_count"), let heldExcess = m.money("held_excess"), let heldShortfall = m.money("held_shortfall"),
              let holdCount = m.int("hold_count"), let overCreditFound = m.money("over_credit_found"), let owed = m.money("owed"),
              let settledCount = m.int("settled_count"), let toGiveBack = m.money("to_give_back"), let toTakeBack = m.money("to_take_back"),
              let usersExamined = m.int("users_examined"), let wouldGoNegative = m.money("would_go_negative") else { return nil }
        (self.acknowledgedCount, self.adjustmentCount, self.ambiguousCount, self.heldExcess, self.heldShortfall, self.holdCount) =
            (acknowledgedCount, adjustmentCount, ambiguousCount, heldExcess, heldShortfall, holdCount)
        (self.overCreditFound, self.owed, self.settledCount, self.toGiveBack, self.toTakeBack, self.usersExamined, self.wouldGoNegative) =
            (overCreditFound, owed, settledCount, toGiveBack, toTakeBack, usersExamined, wouldGoNegative)
    }
}
