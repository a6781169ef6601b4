-- Recheck (apply and verify), shared by the jobs: the same books as detect.sql, for the given users only. Apply runs
-- it after locking the users' rows, so what it reads cannot change until the batch commits.
-- $user_ids is a text array of user ids; users.id_type is users.id's own type.
WITH ids AS (
    SELECT unnest({{$user_ids}}::text[]::{{users.id_type}}[]) AS id
),
ledger AS (
    SELECT t.{{tx.user}} AS user_id, sum({{expr.ledger_amount}}) AS ledger
      FROM {{tx.table}} t
     WHERE t.{{tx.user}} IN (SELECT id FROM ids)
       AND {{expr.in_ledger}}
     GROUP BY t.{{tx.user}}
),
receivable AS (
    SELECT r.user_id, sum(r.amount) AS open_receivables
      FROM remedy.open_receivables r
     WHERE r.user_id = ANY({{$user_ids}}::text[])
     GROUP BY r.user_id
)
SELECT u.{{users.id}}::text AS user_id,
       u.{{users.balance}}::text AS balance,
       COALESCE(l.ledger, 0)::text AS ledger,
       COALESCE(r.open_receivables, 0)::text AS open_receivables
  FROM {{users.table}} u
  LEFT JOIN ledger l ON l.user_id = u.{{users.id}}
  LEFT JOIN receivable r ON r.user_id = u.{{users.id}}::text
 WHERE u.{{users.id}} IN (SELECT id FROM ids)
