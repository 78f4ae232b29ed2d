-- 42_update_in_queue.sql: pushing an edited template or signature into the
-- messages still waiting (SPEC section 4, aNinja's "Update in-queue texts").
--
-- A queued message keeps the template version and the sender signature
-- current at launch; the claim renders it from those snapshots and from the
-- lead row as it is at send time (so lead edits need no call).  These move
-- what still waits (in_queue, held_quiet_hours, capped) to the current text;
-- a message already claimed (sending, maybe_sent) or handed over is never
-- touched.  A row a claim holds is waited for and then left alone if the
-- claim took it.  SECURITY DEFINER: nobody but textseq's functions may write
-- messages; who may call each follows who may make the edit (templates:
-- users through save_template; signatures: admins, who own senders).

CREATE FUNCTION textseq.update_in_queue(template text) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	tid int;
	ver int;
	n int;
BEGIN
	SELECT t.id, t.current_version INTO tid, ver FROM textseq.template t WHERE t.name = update_in_queue.template;
	IF tid IS NULL THEN
		RAISE EXCEPTION 'template "%" does not exist', update_in_queue.template
			USING ERRCODE = 'undefined_object',
				  HINT = 'Create it with textseq.save_template().';
	END IF;
	UPDATE textseq.message m SET template_version = ver
	 WHERE m.template_id = tid AND m.template_version <> ver
	   AND m.status IN ('in_queue', 'held_quiet_hours', 'capped');
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION textseq.update_in_queue(text) IS
	'Move every waiting message of the template to its current version; returns how many changed';

CREATE FUNCTION textseq.update_in_queue(sender int) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	sig text;
	n int;
BEGIN
	SELECT s.signature INTO sig FROM textseq.sender s WHERE s.id = update_in_queue.sender;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'sender % does not exist', update_in_queue.sender
			USING ERRCODE = 'undefined_object';
	END IF;
	-- rendered from a template (a reply's text is fixed and carries no signature)
	UPDATE textseq.message m SET signature = sig
	 WHERE m.sender_id = update_in_queue.sender AND m.signature IS DISTINCT FROM sig
	   AND m.template_id IS NOT NULL
	   AND m.status IN ('in_queue', 'held_quiet_hours', 'capped');
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION textseq.update_in_queue(int) IS
	'Move every waiting message of the sender to its current signature; returns how many changed (admin)';
