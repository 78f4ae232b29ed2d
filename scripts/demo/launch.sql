-- launch.sql: launch the demo sequence to every lead (run by scripts/demo.sh with psql).
-- textseq has no bulk launch function yet, so this does what one would: it records a bulk
-- launch and enrolls each lead with textseq.enroll, in one transaction, so the worker sees
-- the whole launch at commit.  The bulk id on enrollments and messages is what makes the
-- do-not-contact flag apply (it is honoured for bulk launches only; see docs/statuses.md).

\set ON_ERROR_STOP on
BEGIN;
INSERT INTO textseq.bulk (sequence_id, source, start_at)
SELECT id, 'make demo: every lead', now() FROM textseq.sequence WHERE name = 'demo-onboarding';

SELECT count(*) AS enrolled
  FROM (SELECT textseq.enroll('demo-onboarding', l.id) FROM textseq.lead l ORDER BY l.id) e;

UPDATE textseq.enrollment SET bulk_id = (SELECT max(id) FROM textseq.bulk) WHERE bulk_id IS NULL;
UPDATE textseq.message SET bulk_id = (SELECT max(id) FROM textseq.bulk) WHERE bulk_id IS NULL;
UPDATE textseq.bulk SET lead_count = (SELECT count(*) FROM textseq.enrollment);
COMMIT;
