-- Detect: per user, the balance, the ledger, remedy's open receivables and the evidence the
-- attribution needs. Runs inside one REPEATABLE READ READ ONLY snapshot; rows are streamed.
--
-- A name in double braces is an identifier or expression from job.yaml, validated and quoted by
-- remedy; a $name in double braces is a bound parameter. No value is ever spliced into this text.
--
-- Shared by the jobs (jobs/shared/): one pass over the transactions gathers the bug-window top-ups
-- (candidates, their evidence built there) and the purchases that may have completed just after
-- them; a second computes the ledger of the users examined: every user ($examine_all_users, the
-- job's `examine: all_users`) or only those with a candidate (`examine: candidates`, a quarter of
-- the work at 1,000,000 users, found by a parallel semi-join). Both passes run in parallel workers
-- where the server allows. The ledger corrections and, for jobs that weigh purchase deductions
-- ($with_purchases), the purchases of drifting users examined are small sets read by user beside
-- them. Only users who had a candidate, or (examining every user) whose excess is not zero, come back.
-- remedy runs this with a work_mem of its own (Detector.workMemoryKilobytes).
WITH in_window AS MATERIALIZED (
    -- One pass gathers the two small sets the attribution needs: the bug-window top-ups
    -- (candidates) and the completed purchases that can follow one within the tolerance (every
    -- such purchase completed in [since, until + tolerance]), to be matched by a hash join.
    SELECT t.{{tx.user}} AS user_id,
           t.{{tx.id}} AS id,
           {{expr.type}} AS type,
           t.{{tx.reference}} AS reference,
           t.{{tx.amount}} AS amount,
           {{expr.status}} AS status,
           {{expr.completed_at}} AS completed_at,
           {{expr.paid_at}} AS paid_at,
           ({{expr.type}} = {{$topup_type}}
                AND t.{{tx.reference}} IS NOT NULL
                AND {{expr.paid_at}} >= {{$since}}::timestamptz
                AND {{expr.paid_at}} < {{$until}}::timestamptz) IS TRUE AS is_candidate,
           CASE WHEN {{expr.type}} = {{$topup_type}} THEN {{expr.amount_received}} END AS amount_received,
           -- A candidate's evidence is built here, in the parallel workers of this pass.
           CASE WHEN ({{expr.type}} = {{$topup_type}}
                          AND t.{{tx.reference}} IS NOT NULL
                          AND {{expr.paid_at}} >= {{$since}}::timestamptz
                          AND {{expr.paid_at}} < {{$until}}::timestamptz) IS TRUE
                THEN json_build_object(
                    'transaction_id', t.{{tx.id}}::text,
                    'reference', t.{{tx.reference}},
                    'paid_at', to_char({{expr.paid_at}} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                    'amount', COALESCE(t.{{tx.amount}}, 0)::text,
                    'amount_received', COALESCE({{expr.amount_received}}, 0)::text,
                    'status', {{expr.status}}) END AS evidence
      FROM {{tx.table}} t
     WHERE ({{expr.type}} = {{$topup_type}}
                AND t.{{tx.reference}} IS NOT NULL
                AND {{expr.paid_at}} >= {{$since}}::timestamptz
                AND {{expr.paid_at}} < {{$until}}::timestamptz)
        OR ({{$lost_update_enabled}}::boolean
                AND {{expr.type}} = {{$purchase_type}}
                AND {{expr.status}} = {{$completed_status}}
                AND {{expr.completed_at}} >= {{$since}}::timestamptz
                AND {{expr.completed_at}} <= {{$until}}::timestamptz
                    + make_interval(secs => {{$lost_update_tolerance_seconds}}::double precision))
),
candidate AS MATERIALIZED (
    SELECT w.user_id,
           w.id::text AS transaction_id,
           w.reference,
           w.paid_at,
           w.amount,
           w.amount_received,
           w.status,
           w.evidence
      FROM in_window w
     WHERE w.is_candidate
),
ledger AS (
    -- One pass over the completed rows, a plain sum per user: hashable and parallel. (An ordered
    -- aggregate here, such as the corrections below, forces a sorted pass: an index walk that
    -- visits the table in random order, minutes at 10,000,000 rows.) The booleans are bound
    -- constants: PostgreSQL folds them and runs one branch. Every user's books:
    SELECT t.{{tx.user}} AS user_id,
           sum({{expr.ledger_amount}}) AS ledger,
           count(*) FILTER (WHERE t.{{tx.amount}} < 0 AND {{expr.type}} = ANY({{$positive_types}}::text[])) AS corrections
      FROM {{tx.table}} t
     WHERE {{$examine_all_users}}::boolean
       AND {{expr.in_ledger}}
     GROUP BY t.{{tx.user}}
    UNION ALL
    -- or only the candidates' books: a semi-join against the window's top-ups read again from the
    -- table, not from the candidate set above, which no parallel worker can read (probing it made
    -- this pass serial: 6.5 s of a 14 s detect at 1,000,000 users).
    SELECT t.{{tx.user}} AS user_id,
           sum({{expr.ledger_amount}}) AS ledger,
           count(*) FILTER (WHERE t.{{tx.amount}} < 0 AND {{expr.type}} = ANY({{$positive_types}}::text[])) AS corrections
      FROM {{tx.table}} t
     WHERE NOT {{$examine_all_users}}::boolean
       AND {{expr.in_ledger}}
       AND t.{{tx.user}} IN (
               -- (Its own t: the window's top-ups, read again from the table.)
               SELECT t.{{tx.user}}
                 FROM {{tx.table}} t
                WHERE {{expr.type}} = {{$topup_type}}
                  AND t.{{tx.reference}} IS NOT NULL
                  AND {{expr.paid_at}} >= {{$since}}::timestamptz
                  AND {{expr.paid_at}} < {{$until}}::timestamptz)
     GROUP BY t.{{tx.user}}
),
correction AS (
    -- Hand-made corrections booked in the ledger (a completed refund of -9.180) move balance and
    -- ledger together, so the excess still shows; they are listed for the few users who have them.
    SELECT t.{{tx.user}} AS user_id,
           json_agg(json_build_object(
               'transaction_id', t.{{tx.id}}::text,
               'type', {{expr.type}},
               'amount', t.{{tx.amount}}::text) ORDER BY t.{{tx.id}}) AS corrections
      FROM {{tx.table}} t
     WHERE t.{{tx.user}} IN (SELECT l.user_id FROM ledger l WHERE l.corrections > 0)
       AND {{expr.status}} = {{$completed_status}}
       AND t.{{tx.amount}} < 0 AND {{expr.type}} = ANY({{$positive_types}}::text[])
     GROUP BY t.{{tx.user}}
),
candidates AS (
    SELECT c.user_id,
           json_agg(c.evidence ORDER BY c.paid_at, c.transaction_id) AS candidates
      FROM candidate c
     GROUP BY c.user_id
),
lost_purchases AS (
    SELECT p.user_id,
           jsonb_agg(DISTINCT jsonb_build_object(
               'transaction_id', p.id::text,
               'completed_at', to_char(p.completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
               'amount', p.amount::text,
               'after_reference', c.reference)) AS lost_purchases
      FROM candidate c
      JOIN in_window p
        ON p.user_id = c.user_id
       AND p.type = {{$purchase_type}}
       AND p.status = {{$completed_status}}
       AND p.completed_at >= c.paid_at
       AND p.completed_at <= c.paid_at + make_interval(secs => {{$lost_update_tolerance_seconds}}::double precision)
     WHERE {{$lost_update_enabled}}::boolean
     GROUP BY p.user_id
),
receivable AS (
    SELECT r.user_id, sum(r.amount) AS open_receivables
      FROM remedy.open_receivables r
     GROUP BY r.user_id
),
ordinary AS (
    -- The ordinary story's figure per candidate: every window top-up that can be a credit (an
    -- amount_received above zero, an amount not negative) credited once.
    SELECT c.user_id, sum(c.amount_received) AS credit
      FROM candidate c
     WHERE c.amount_received > 0 AND COALESCE(c.amount, 0) >= 0
     GROUP BY c.user_id
),
drifting AS MATERIALIZED (
    SELECT u.{{users.id}} AS user_id
      FROM {{users.table}} u
      LEFT JOIN ledger l ON l.user_id = u.{{users.id}}
      LEFT JOIN receivable r ON r.user_id = u.{{users.id}}::text
      LEFT JOIN ordinary o ON o.user_id = u.{{users.id}}
     CROSS JOIN LATERAL (SELECT u.{{users.balance}} - COALESCE(l.ledger, 0) - COALESCE(r.open_receivables, 0) AS excess) e
     WHERE {{$with_purchases}}::boolean
       AND ({{$examine_all_users}}::boolean OR u.{{users.id}} IN (SELECT c.user_id FROM candidate c))
       AND e.excess <> 0
       -- The double-credit job (without a callback log) weighs purchases only against an
       -- over-credit that the ordinary story does not explain (LineStrategy): a shortfall, or an
       -- excess that is the ordinary figure, is decided without them, so they are not read.
       AND (NOT {{$purchases_only_beyond_ordinary}}::boolean OR (e.excess > 0 AND e.excess <> COALESCE(o.credit, 0)))
),
purchases AS (
    SELECT t.{{tx.user}} AS user_id,
           -- json, not jsonb: the same members, without parsing each object again.
           json_agg(json_build_object(
               'transaction_id', t.{{tx.id}}::text,
               'status', {{expr.status}},
               'amount', t.{{tx.amount}}::text,
               'created_at', to_char({{expr.created_at}} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
             ORDER BY {{expr.created_at}}, t.{{tx.id}}) AS purchases
      FROM {{tx.table}} t
     WHERE t.{{tx.user}} IN (SELECT user_id FROM drifting)
       AND {{expr.type}} = {{$purchase_type}}
       AND {{expr.status}} = ANY({{$deductible_statuses}}::text[])
     GROUP BY t.{{tx.user}}
)
SELECT u.{{users.id}}::text AS user_id,
       u.{{users.label}}::text AS label,
       {{expr.contact}} AS contact,
       u.{{users.balance}}::text AS balance,
       COALESCE(l.ledger, 0)::text AS ledger,
       COALESCE(r.open_receivables, 0)::text AS open_receivables,
       c.candidates::text AS candidates,
       lp.lost_purchases::text AS lost_purchases,
       co.corrections::text AS ledger_corrections,
       pu.purchases::text AS purchases,
       {{expr.logged_runs}} AS logged_handler_runs
  FROM {{users.table}} u
  LEFT JOIN ledger l ON l.user_id = u.{{users.id}}
  LEFT JOIN receivable r ON r.user_id = u.{{users.id}}::text
  LEFT JOIN candidates c ON c.user_id = u.{{users.id}}
  LEFT JOIN lost_purchases lp ON lp.user_id = u.{{users.id}}
  LEFT JOIN correction co ON co.user_id = u.{{users.id}}
  LEFT JOIN purchases pu ON pu.user_id = u.{{users.id}}
 WHERE c.candidates IS NOT NULL
    OR ({{$examine_all_users}}::boolean
        AND u.{{users.balance}} - COALESCE(l.ledger, 0) - COALESCE(r.open_receivables, 0) <> 0)
 ORDER BY u.{{users.id}}::text
