-- launch.sql: launch the demo sequence to the sample's import list (run by scripts/demo.sh
-- with psql).  textseq.launch snapshots the list as the bulk's members and returns at
-- once, status being_processed; the dispatch worker then expands the members into
-- enrollments and first messages, one chunk of textseq.expand_chunk members per
-- transaction, between its sends (scripts/demo.sh shows the progress).  Small chunks
-- here (the default is 10000) so that the expansion shows on a few thousand leads.
-- Do-not-contact numbers, opted-out, landline and invalid ones get their omitted_*
-- statuses as they are expanded (see docs/launches.md).

\set ON_ERROR_STOP on
SET textseq.expand_chunk = 250;
SELECT textseq.launch('demo-onboarding', bulkimport_id => 1) AS bulk;
