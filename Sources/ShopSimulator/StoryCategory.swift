/// What happened to one user's balance; recorded in `simulator.truth.category`.
public enum StoryCategory: String, Sendable, CaseIterable, Codable {
    /// No bug credit: no Tripay payment in the window (or only before/after it), admin top-ups,
    /// expired and failed payments.
    case clean
    /// Bug-window top-ups, each credited once extra by the handler.
    case doubleCredit = "double_credit"
    /// Tripay re-sent a callback and the buggy handler ran 2 or 3 times for one payment.
    case redelivered
    /// Corrected by hand afterwards (compare-and-set, or a completed refund of −amount_received).
    case correctedFull = "corrected_full"
    /// Corrected by hand while the bug was still deployed; later bug-window top-ups re-created excess.
    case correctedPartial = "corrected_partial"
    /// A bug-window top-up later left `completed` (refunded/cancelled); the handler's credit remains.
    case reversedAfterPaid = "reversed_after_paid"
    /// A purchase completed between the handler's read and its write; its deduction was lost.
    case lostUpdate = "lost_update"
    /// Bug excess present, but the user spent most of the balance since.
    case spent
    /// Seed 000: completed purchases deducted twice (old purchase controller plus the trigger).
    case otherPurchaseDouble = "other_purchase_double"
    /// Balance deducted, purchase recorded failed.
    case otherFailedPurchase = "other_failed_purchase"
    /// A refund recorded completed while the trigger was disabled: the balance was never credited.
    case otherUnhandledRefund = "other_unhandled_refund"
    /// A person took back the wrong figure (`amount` instead of `amount_received`, or arbitrary).
    case wrongCorrection = "wrong_correction"
    /// Bug excess and an other-drift story on one user.
    case mixed
    /// Coincidences made on purpose (issue 11; only with `SimulationOptions.coincidenceStories`).
    /// Bug excess from top-ups credited once each, less a failed purchase charged anyway (or a
    /// completed one charged twice) whose price makes the excess equal one top-up's credit times k.
    case coincidentPurchase = "coincident_purchase"
    /// One callback handled two or three times while another paid top-up never reached the buggy handler.
    case unevenRedelivery = "uneven_redelivery"
    /// Two top-ups with the same amount_received and a third one's credit taken back by hand:
    /// what is left looks like one top-up credited twice.
    case handCorrectedOne = "hand_corrected_one"

    /// Users per thousand.
    var weightPerMille: Int {
        switch self {
        case .clean: 700
        case .doubleCredit: 90
        case .redelivered: 25
        case .correctedFull: 30
        case .correctedPartial: 20
        case .reversedAfterPaid: 10
        case .lostUpdate: 10
        case .spent: 30
        case .otherPurchaseDouble: 20
        case .otherFailedPurchase: 15
        case .otherUnhandledRefund: 10
        case .wrongCorrection: 10
        case .mixed: 30
        case .coincidentPurchase, .unevenRedelivery, .handCorrectedOne: 0
        }
    }

    /// Users per thousand on top of the others when coincidence stories are on.
    var coincidenceWeightPerMille: Int {
        switch self {
        case .coincidentPurchase: 60
        case .unevenRedelivery: 40
        case .handCorrectedOne: 40
        default: weightPerMille
        }
    }
}
