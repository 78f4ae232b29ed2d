-- 00_roles_types.sql: roles and the status types (SPEC sections 3 and 11).

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'textseq_user') THEN
		CREATE ROLE textseq_user NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'textseq_admin') THEN
		CREATE ROLE textseq_admin NOLOGIN;
	END IF;
END
$$;
GRANT textseq_user TO textseq_admin;
GRANT USAGE ON SCHEMA textseq TO textseq_user;

-- Exact names from SPEC section 3; reports, views and tests use them.
CREATE TYPE textseq.message_status AS ENUM (
	'in_queue', 'held_quiet_hours', 'capped', 'sending', 'maybe_sent', 'outbox', 'sent',
	'error', 'delivery_unknown', 'expired', 'canceled', 'blocked_duplicate',
	'omitted_opted_out', 'omitted_landline', 'omitted_invalid', 'omitted_do_not_contact',
	'omitted_deleted_lead');
COMMENT ON TYPE textseq.message_status IS
	'Status of one outbound text; see docs/statuses.md for meanings and allowed transitions';

CREATE TYPE textseq.bulk_status AS ENUM ('being_processed', 'in_progress', 'done', 'canceled');
COMMENT ON TYPE textseq.bulk_status IS 'Status of a bulk launch';

CREATE TYPE textseq.enrollment_status AS ENUM (
	'pending', 'finished_responded', 'finished_no_response', 'finished_stopped', 'failed',
	'opted_out', 'omitted_opted_out', 'omitted_landline', 'omitted_invalid', 'expired',
	'canceled');
COMMENT ON TYPE textseq.enrollment_status IS 'Status of one lead''s run through one sequence';

-- The clock: transaction start time, or textseq.test_now when a superuser set it.
CREATE FUNCTION textseq.now() RETURNS timestamptz
	AS 'MODULE_PATHNAME', 'textseq_clock_now' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION textseq.now() IS
	'Current transaction time, or the superuser-only setting textseq.test_now when set (tests)';

-- Who called a SECURITY DEFINER function (there current_user is the owner).
CREATE FUNCTION textseq._caller() RETURNS name
	AS 'MODULE_PATHNAME', 'textseq_caller' LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION textseq._caller() IS
	'Internal: the role that called (the session''s role after SET ROLE), also inside SECURITY DEFINER functions';

-- Forward-only status guard, one C trigger for messages, enrollments and bulks.
CREATE FUNCTION textseq.status_transition_allowed(kind text, from_status text, to_status text)
	RETURNS boolean AS 'MODULE_PATHNAME', 'textseq_status_allowed'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION textseq.status_transition_allowed(text, text, text) IS
	'Whether a status may move from one value to another (kind: message, enrollment or bulk)';

CREATE FUNCTION textseq._status_guard() RETURNS trigger
	AS 'MODULE_PATHNAME', 'textseq_status_guard' LANGUAGE C;
COMMENT ON FUNCTION textseq._status_guard() IS
	'Row trigger refusing backward status changes; argument: message, enrollment or bulk';
