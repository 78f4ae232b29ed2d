-- 23_schedule.sql: send windows and quiet hours (SPEC section 5 "Send window (beyond)",
-- PROVIDERS.md "Compliance: quiet hours"; docs/send-windows.md).
-- The window search is C (src/schedule.c over the pure core src/core/sched.c); the quiet
-- rules and the area code map below are DATA THAT CHANGES: laws are amended and new
-- area codes are added every year.  Review them; add rows rather than editing code.

-- Quiet-hours rules by region.  Rows of one region (and the federal 'US' rows, which apply
-- to every 'US-xx' region) are intersected for each local date.
CREATE TABLE textseq.quiet_rule (
	id serial PRIMARY KEY,
	region text NOT NULL CHECK (region ~ '^[A-Z]{2}(-[A-Z0-9]{1,3})?$'),
	days int[] NOT NULL CHECK (days <@ '{0,1,2,3,4,5,6}' AND cardinality(days) >= 1),
	local_start time,
	local_end time,
	closed boolean NOT NULL DEFAULT false,
	effective_from date NOT NULL,
	effective_to date,
	note text,
	builtin boolean NOT NULL DEFAULT false,
	CHECK (closed OR (local_start IS NOT NULL AND local_end IS NOT NULL AND local_start < local_end)),
	CHECK (effective_to IS NULL OR effective_to >= effective_from)
);
CREATE INDEX quiet_rule_region_idx ON textseq.quiet_rule (region);
COMMENT ON TABLE textseq.quiet_rule IS
	'Quiet-hours rules (data that changes): on the listed local weekdays of the dates in force, '
	'sending is allowed only between local_start and local_end, or not at all when closed';
COMMENT ON COLUMN textseq.quiet_rule.region IS
	'''US'' = federal, applies to every US region; ''US-FL'' etc. = one state';
COMMENT ON COLUMN textseq.quiet_rule.days IS 'Local weekdays the rule covers, 0 = Sunday';
COMMENT ON COLUMN textseq.quiet_rule.local_start IS 'Allowed from (recipient''s wall clock), inclusive';
COMMENT ON COLUMN textseq.quiet_rule.local_end IS 'Allowed until (recipient''s wall clock), exclusive';
COMMENT ON COLUMN textseq.quiet_rule.closed IS 'No sending at all on the covered days';
COMMENT ON COLUMN textseq.quiet_rule.effective_from IS 'First local date in force';
COMMENT ON COLUMN textseq.quiet_rule.effective_to IS 'Last local date in force (inclusive); NULL = open-ended';
COMMENT ON COLUMN textseq.quiet_rule.builtin IS
	'Shipped with textseq (not dumped by pg_dump); rows you add keep the default false';

-- Sources: 47 CFR 64.1200(c)(1) (federal, TCPA, 1992); PROVIDERS.md "Compliance: quiet hours"
-- for the states.  Dates marked "not verified" are the earliest this data vouches for, not
-- the statute's own date.  Holidays (Alabama, Louisiana: "no Sundays or holidays") are not
-- seeded: add each as a closed rule with effective_from = effective_to = the holiday.
INSERT INTO textseq.quiet_rule (region, days, local_start, local_end, closed, effective_from, note, builtin) VALUES
	('US',    '{0,1,2,3,4,5,6}', '08:00', '21:00', false, '1992-12-20', 'TCPA, 47 CFR 64.1200(c)(1)', true),
	('US-FL', '{0,1,2,3,4,5,6}', '08:00', '20:00', false, '2021-07-01', 'Florida Telephone Solicitation Act (SB 1120); also at most 3 per 24 h on one subject', true),
	('US-OK', '{0,1,2,3,4,5,6}', '08:00', '20:00', false, '2022-11-01', 'Oklahoma Telephone Solicitation Act of 2022 (HB 3168)', true),
	('US-MD', '{0,1,2,3,4,5,6}', '08:00', '20:00', false, '2024-01-01', 'Maryland Stop the Spam Calls Act of 2023', true),
	('US-CT', '{0,1,2,3,4,5,6}', '09:00', '20:00', false, '2023-10-01', 'Connecticut Public Act 23-98', true),
	('US-NJ', '{0,1,2,3,4,5,6}', '08:00', '20:00', false, '2000-01-01', 'New Jersey; effective date not verified', true),
	('US-MA', '{0,1,2,3,4,5,6}', '08:00', '20:00', false, '2000-01-01', 'Massachusetts; effective date not verified', true),
	('US-MS', '{1,2,3,4,5,6}',   '08:00', '20:00', false, '2000-01-01', 'Mississippi; effective date not verified', true),
	('US-MS', '{0}',             NULL,    NULL,    true,  '2000-01-01', 'Mississippi: no Sundays', true),
	('US-TX', '{1,2,3,4,5,6}',   '09:00', '21:00', false, '2000-01-01', 'Texas Bus. & Com. Code 301.051; effective date not verified', true),
	('US-TX', '{0}',             '12:00', '21:00', false, '2000-01-01', 'Texas: Sundays from noon', true),
	('US-RI', '{1,2,3,4,5}',     '09:00', '18:00', false, '2000-01-01', 'Rhode Island weekdays; effective date not verified', true),
	('US-RI', '{0,6}',           '10:00', '17:00', false, '2000-01-01', 'Rhode Island weekends', true),
	('US-AL', '{1,2,3,4,5,6}',   '08:00', '20:00', false, '2000-01-01', 'Alabama; effective date not verified; holidays not seeded', true),
	('US-AL', '{0}',             NULL,    NULL,    true,  '2000-01-01', 'Alabama: no Sundays', true),
	('US-LA', '{1,2,3,4,5,6}',   '08:00', '20:00', false, '2000-01-01', 'Louisiana; effective date not verified; holidays not seeded', true),
	('US-LA', '{0}',             NULL,    NULL,    true,  '2000-01-01', 'Louisiana: no Sundays', true),
	('US-KY', '{0,1,2,3,4,5,6}', '10:00', '21:00', false, '2000-01-01', 'Kentucky; effective date not verified', true),
	('US-MI', '{0,1,2,3,4,5,6}', '09:00', '21:00', false, '2000-01-01', 'Michigan; effective date not verified', true),
	('US-MN', '{0,1,2,3,4,5,6}', '09:00', '21:00', false, '2000-01-01', 'Minnesota; effective date not verified', true),
	('US-NM', '{0,1,2,3,4,5,6}', '09:00', '21:00', false, '2000-01-01', 'New Mexico; effective date not verified', true),
	('US-NV', '{0,1,2,3,4,5,6}', '09:00', '20:00', false, '2000-01-01', 'Nevada; effective date not verified', true);

-- NANP area code -> US state, for the states that have their own quiet hours.  Other US area
-- codes are not listed: their numbers get the federal rule through their time zones.
CREATE TABLE textseq.area_code_region (
	area_code text PRIMARY KEY CHECK (area_code ~ '^[2-9][0-9]{2}$'),
	region text NOT NULL CHECK (region ~ '^US-[A-Z]{2}$'),
	overlay_of text CHECK (overlay_of ~ '^[2-9][0-9]{2}$'),
	builtin boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE textseq.area_code_region IS
	'NANP area code to US state (data that changes: overlays are added every year); '
	'a +1 number with a listed area code gets that state''s quiet rules';
COMMENT ON COLUMN textseq.area_code_region.region IS 'State as ''US-'' + USPS code, e.g. ''US-FL''';
COMMENT ON COLUMN textseq.area_code_region.overlay_of IS
	'For an overlay newer than the time zone data: the older area code whose zones it shares';
COMMENT ON COLUMN textseq.area_code_region.builtin IS
	'Shipped with textseq (not dumped by pg_dump); rows you add keep the default false';

-- Source: NANPA's area code assignments by state, checked against state commission and
-- press notices of recent overlays (AL 483/334, FL 324/904, 645/305, 728/561, KY 761/502,
-- LA 457/318, MI 679/313, MN 924/507, MS 471/662), as of 2025.  Planned overlays are
-- listed before their numbers are assigned; that is harmless and saves an update.
INSERT INTO textseq.area_code_region (area_code, region) VALUES
	('205', 'US-AL'), ('251', 'US-AL'), ('256', 'US-AL'), ('334', 'US-AL'), ('483', 'US-AL'), ('659', 'US-AL'), ('938', 'US-AL'),
	('203', 'US-CT'), ('475', 'US-CT'), ('860', 'US-CT'), ('959', 'US-CT'),
	('239', 'US-FL'), ('305', 'US-FL'), ('321', 'US-FL'), ('324', 'US-FL'), ('352', 'US-FL'), ('386', 'US-FL'), ('407', 'US-FL'), ('448', 'US-FL'), ('561', 'US-FL'), ('645', 'US-FL'), ('656', 'US-FL'), ('689', 'US-FL'), ('727', 'US-FL'), ('728', 'US-FL'), ('754', 'US-FL'), ('772', 'US-FL'), ('786', 'US-FL'), ('813', 'US-FL'), ('850', 'US-FL'), ('863', 'US-FL'), ('904', 'US-FL'), ('941', 'US-FL'), ('954', 'US-FL'),
	('270', 'US-KY'), ('364', 'US-KY'), ('502', 'US-KY'), ('606', 'US-KY'), ('761', 'US-KY'), ('859', 'US-KY'),
	('225', 'US-LA'), ('318', 'US-LA'), ('337', 'US-LA'), ('457', 'US-LA'), ('504', 'US-LA'), ('985', 'US-LA'),
	('339', 'US-MA'), ('351', 'US-MA'), ('413', 'US-MA'), ('508', 'US-MA'), ('617', 'US-MA'), ('774', 'US-MA'), ('781', 'US-MA'), ('857', 'US-MA'), ('978', 'US-MA'),
	('227', 'US-MD'), ('240', 'US-MD'), ('301', 'US-MD'), ('410', 'US-MD'), ('443', 'US-MD'), ('667', 'US-MD'),
	('231', 'US-MI'), ('248', 'US-MI'), ('269', 'US-MI'), ('313', 'US-MI'), ('517', 'US-MI'), ('586', 'US-MI'), ('616', 'US-MI'), ('679', 'US-MI'), ('734', 'US-MI'), ('810', 'US-MI'), ('906', 'US-MI'), ('947', 'US-MI'), ('989', 'US-MI'),
	('218', 'US-MN'), ('320', 'US-MN'), ('507', 'US-MN'), ('612', 'US-MN'), ('651', 'US-MN'), ('763', 'US-MN'), ('924', 'US-MN'), ('952', 'US-MN'),
	('228', 'US-MS'), ('471', 'US-MS'), ('601', 'US-MS'), ('662', 'US-MS'), ('769', 'US-MS'),
	('201', 'US-NJ'), ('551', 'US-NJ'), ('609', 'US-NJ'), ('640', 'US-NJ'), ('732', 'US-NJ'), ('848', 'US-NJ'), ('856', 'US-NJ'), ('862', 'US-NJ'), ('908', 'US-NJ'), ('973', 'US-NJ'),
	('505', 'US-NM'), ('575', 'US-NM'),
	('702', 'US-NV'), ('725', 'US-NV'), ('775', 'US-NV'),
	('405', 'US-OK'), ('539', 'US-OK'), ('572', 'US-OK'), ('580', 'US-OK'), ('918', 'US-OK'),
	('401', 'US-RI'),
	('210', 'US-TX'), ('214', 'US-TX'), ('254', 'US-TX'), ('281', 'US-TX'), ('325', 'US-TX'), ('346', 'US-TX'), ('361', 'US-TX'), ('409', 'US-TX'), ('430', 'US-TX'), ('432', 'US-TX'), ('469', 'US-TX'), ('512', 'US-TX'), ('682', 'US-TX'), ('713', 'US-TX'), ('726', 'US-TX'), ('737', 'US-TX'), ('806', 'US-TX'), ('817', 'US-TX'), ('830', 'US-TX'), ('832', 'US-TX'), ('903', 'US-TX'), ('915', 'US-TX'), ('936', 'US-TX'), ('940', 'US-TX'), ('945', 'US-TX'), ('956', 'US-TX'), ('972', 'US-TX'), ('979', 'US-TX');
UPDATE textseq.area_code_region SET builtin = true;
UPDATE textseq.area_code_region AS a SET overlay_of = o.parent
  FROM (VALUES ('483', '334'), ('761', '502'), ('457', '318'), ('679', '313'),
			   ('924', '507'), ('471', '662')) AS o (code, parent)
 WHERE a.area_code = o.code;

-- Rows users add survive pg_dump; shipped rows come back with the extension.
SELECT pg_catalog.pg_extension_config_dump('textseq.quiet_rule', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('textseq.quiet_rule_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('textseq.area_code_region', 'WHERE NOT builtin');

-- Data changes raise no cache invalidation by themselves: this trigger raises one so every
-- backend drops its cached quiet rules (src/schedule.c).
CREATE FUNCTION textseq.schedule_rules_changed() RETURNS trigger
	AS 'MODULE_PATHNAME', 'textseq_schedule_rules_changed'
	LANGUAGE C;
COMMENT ON FUNCTION textseq.schedule_rules_changed() IS
	'Statement trigger: makes every backend reload textseq.quiet_rule';
CREATE TRIGGER quiet_rule_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON textseq.quiet_rule
	FOR EACH STATEMENT EXECUTE FUNCTION textseq.schedule_rules_changed();

-- US time zones, territories included (TCPA applies there); Canada and the Caribbean
-- countries are not US.
CREATE FUNCTION textseq.zone_is_us(zone text) RETURNS boolean
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
	SELECT $1 = ANY ('{America/New_York,America/Detroit,America/Chicago,America/Menominee,
					  America/Denver,America/Boise,America/Phoenix,America/Los_Angeles,
					  America/Anchorage,America/Juneau,America/Sitka,America/Metlakatla,
					  America/Yakutat,America/Nome,America/Adak,Pacific/Honolulu,
					  America/Puerto_Rico,America/St_Thomas,Pacific/Guam,Pacific/Saipan,
					  Pacific/Pago_Pago}'::text[])
		OR $1 LIKE 'America/Indiana/%' OR $1 LIKE 'America/Kentucky/%'
		OR $1 LIKE 'America/North_Dakota/%' OR $1 LIKE 'US/%'
$$;
COMMENT ON FUNCTION textseq.zone_is_us(text) IS
	'Whether an IANA zone is in the United States or a US territory';

-- The number's prefix zones; an overlay newer than the prefix data borrows
-- the zones of the area code it overlays.
CREATE FUNCTION textseq._prefix_zones(e164 text) RETURNS text[]
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$
	SELECT coalesce(
		(SELECT textseq.phone_time_zones('+1' || a.overlay_of) FROM textseq.area_code_region AS a
		  WHERE $1 ~ '^\+1[2-9][0-9]{9}$' AND a.area_code = substr($1, 3, 3)
			AND a.overlay_of IS NOT NULL),
		textseq.phone_time_zones($1))
$$;
COMMENT ON FUNCTION textseq._prefix_zones(text) IS
	'Internal: candidate zones of a number from its prefix (overlays borrow their parent''s)';

-- Override first, else the number's prefix zones.
CREATE FUNCTION textseq.phone_zones(e164 text) RETURNS text[]
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$
	SELECT coalesce(
		(SELECT ARRAY[p.time_zone] FROM textseq.phone AS p
		  WHERE p.e164 = $1 AND p.time_zone IS NOT NULL),
		textseq._prefix_zones($1))
$$;
COMMENT ON FUNCTION textseq.phone_zones(text) IS
	'Candidate IANA time zones of a number: textseq.phone.time_zone if set, else those of '
	'its longest prefix; NULL when unknown';

-- State by area code; else 'US' for a +1 number any of whose zones is a US zone; else NULL
-- (Canada, the Caribbean, other countries: only the sequence window applies).
CREATE FUNCTION textseq.phone_region(e164 text) RETURNS text
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$
	SELECT CASE WHEN $1 ~ '^\+1[2-9][0-9]{9}$' THEN
		coalesce(
			(SELECT a.region FROM textseq.area_code_region AS a WHERE a.area_code = substr($1, 3, 3)),
			(SELECT 'US' WHERE EXISTS (
				SELECT 1 FROM unnest(textseq.phone_time_zones($1)) AS z (zone)
				 WHERE textseq.zone_is_us(z.zone))))
	END
$$;
COMMENT ON FUNCTION textseq.phone_region(text) IS
	'Quiet-hours region of a number: ''US-FL'' etc. by area code, ''US'' for other US '
	'numbers, NULL outside the US (Canada and the Caribbean included)';

CREATE FUNCTION textseq.next_send_time(due timestamptz, zones text[], region text,
		window_start time, window_end time, window_days int[])
	RETURNS timestamptz AS 'MODULE_PATHNAME', 'textseq_schedule_next_send'
	LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION textseq.next_send_time(timestamptz, text[], text, time, time, int[]) IS
	'Earliest instant >= due at which every zone''s local time is inside the window on '
	'window_days (0 = Sunday) and inside every quiet_rule in force for region (NULL = none); '
	'NULL when no such instant within 14 days or no zone is known; start > end wraps '
	'midnight; 22023 for an unknown zone or a bad weekday';

CREATE FUNCTION textseq.window_closes_at(at timestamptz, zones text[], region text,
		window_start time, window_end time, window_days int[], until timestamptz)
	RETURNS timestamptz AS 'MODULE_PATHNAME', 'textseq_schedule_window_close'
	LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION textseq.window_closes_at(timestamptz, text[], text, time, time, int[], timestamptz) IS
	'When the send window open at "at" closes (the first instant some zone is outside the '
	'window or a quiet rule of region), capped at until; "at" when it is not open then; NULL '
	'when no zone is known.  The claim sends min(expiry, this) as the provider''s validity period';

-- The claim's forms: -infinity (never a real answer) instead of an error, so
-- a phone row with unusable zones gets its own error verdict and the rest of
-- the batch goes out; _schedule_problem says why.
CREATE FUNCTION textseq._try_next_send_time(due timestamptz, zones text[], region text,
		window_start time, window_end time, window_days int[])
	RETURNS timestamptz AS 'MODULE_PATHNAME', 'textseq_schedule_next_send_try'
	LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION textseq._try_next_send_time(timestamptz, text[], text, time, time, int[]) IS
	'Internal: next_send_time(), but -infinity instead of an error';

CREATE FUNCTION textseq._try_window_closes_at(at timestamptz, zones text[], region text,
		window_start time, window_end time, window_days int[], until timestamptz)
	RETURNS timestamptz AS 'MODULE_PATHNAME', 'textseq_schedule_window_close_try'
	LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION textseq._try_window_closes_at(timestamptz, text[], text, time, time, int[], timestamptz) IS
	'Internal: window_closes_at(), but -infinity instead of an error';

CREATE FUNCTION textseq._schedule_problem(at timestamptz, zones text[], region text,
		window_start time, window_end time, window_days int[], until timestamptz)
	RETURNS text AS 'MODULE_PATHNAME', 'textseq_schedule_problem'
	LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION textseq._schedule_problem(timestamptz, text[], text, time, time, int[], timestamptz) IS
	'Internal: why next_send_time(at, ...) (until NULL) or window_closes_at(at, ..., until) fails, or NULL';

CREATE FUNCTION textseq._zones_problem(zones text[]) RETURNS text
	AS 'MODULE_PATHNAME', 'textseq_schedule_zones_problem'
	LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION textseq._zones_problem(text[]) IS
	'Internal: why the send-window search could not use these zones (unknown name, too many), or NULL';

CREATE FUNCTION textseq.next_send_time(due timestamptz, phone text, sequence_id bigint)
	RETURNS timestamptz LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
AS $$
DECLARE
	s record;
BEGIN
	SELECT q.window_start, q.window_end, q.window_days INTO s
	  FROM textseq.sequence AS q WHERE q.id = sequence_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'sequence % does not exist', sequence_id
			USING ERRCODE = '42704', DETAIL = 'No row of textseq.sequence has this id.';
	END IF;
	RETURN textseq.next_send_time(due, textseq.phone_zones(phone), textseq.phone_region(phone),
								  s.window_start, s.window_end, s.window_days);
END
$$;
COMMENT ON FUNCTION textseq.next_send_time(timestamptz, text, bigint) IS
	'Earliest instant >= due at which the sequence''s window and the quiet hours allow '
	'texting this phone (zones from textseq.phone_zones, region from textseq.phone_region); '
	'NULL when none within 14 days; 42704 for an unknown sequence';

-- Each phone row keeps its zones and region, so the claim needs no lookups.
-- They are derived only: a write to them (or to e164, time_zone) derives
-- them again, so no value the claim cannot use gets in.
CREATE FUNCTION textseq._phone_derive() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	problem text;
BEGIN
	-- an unknown zone is refused here, with the claim's own lookup, not discovered by the claim
	IF NEW.time_zone IS NOT NULL THEN
		problem := textseq._zones_problem(ARRAY[NEW.time_zone]);
		IF problem IS NOT NULL THEN
			RAISE EXCEPTION 'unknown time zone "%"', left(NEW.time_zone, 64)
				USING ERRCODE = 'invalid_parameter_value', DETAIL = problem,
					  HINT = 'Use an IANA name such as America/New_York (see pg_timezone_names).';
		END IF;
	END IF;
	NEW.zones := CASE WHEN NEW.time_zone IS NOT NULL THEN ARRAY[NEW.time_zone]
					  ELSE textseq._prefix_zones(NEW.e164) END;
	-- shipped prefix data naming a zone this server's tzdata lacks: leave that zone out
	IF textseq._zones_problem(NEW.zones) IS NOT NULL THEN
		NEW.zones := nullif(ARRAY(SELECT z FROM unnest(NEW.zones) z
								   WHERE textseq._zones_problem(ARRAY[z]) IS NULL), '{}');
	END IF;
	NEW.region := textseq.phone_region(NEW.e164);
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION textseq._phone_derive() IS
	'Trigger: keep textseq.phone.zones and region derived from the number and its override';
CREATE TRIGGER phone_derive BEFORE INSERT OR UPDATE OF e164, time_zone, zones, region ON textseq.phone
	FOR EACH ROW EXECUTE FUNCTION textseq._phone_derive();

-- Area code data changed: recompute the derived columns of +1 numbers.
CREATE FUNCTION textseq._area_codes_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	UPDATE textseq.phone p SET time_zone = p.time_zone WHERE p.e164 LIKE '+1%';
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION textseq._area_codes_changed() IS
	'Trigger: recompute zones and regions of +1 numbers when area_code_region changes';
CREATE TRIGGER area_code_region_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON textseq.area_code_region FOR EACH STATEMENT EXECUTE FUNCTION textseq._area_codes_changed();
