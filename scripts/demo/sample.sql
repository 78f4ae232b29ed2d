-- sample.sql: the demo's sample CRM (run by scripts/demo.sh with psql).
-- A few thousand leads with names, companies and custom fields, US numbers across several
-- area codes, and a handful of special cases whose outcomes the report shows.  Every
-- special case is a row of public.demo_case: its lead, the number, the mock provider fault
-- for that number (scripts/demo.sh loads them into the mock), and what should happen.
-- Deterministic: the same leads every run.  Needs psql variables :leads (how many),
-- :day_zone (a zone where it is now mid-day) and :night_zone (one where it is night).
-- Must not touch the worker's tables beyond what an application would write.

\set ON_ERROR_STOP on
SELECT setseed(0.2025);

-- Lookup lists for the generated leads.
CREATE TEMP TABLE pick AS SELECT
	'{Ann,Ben,Carla,Diego,Emma,Farid,Grace,Hiro,Ines,Jamal,Kate,Luis,Maya,Noah,Olga,Priya,Quinn,Rosa,Sam,Tara,Uma,Victor,Wen,Xavier,Yara,Zoe,Aaron,Bianca,Chen,Dana,Eli,Fatima,Gus,Hannah,Ivan,Julia,Kofi,Lena,Marco,Nadia}'::text[] AS first_names,
	'{Lee,Garcia,Smith,Nguyen,Patel,Johnson,Kim,Brown,Lopez,Martin,Okafor,Rossi,Chen,Walker,Novak,Haddad,Silva,Cohen,Murphy,Tanaka,Weber,Ali,Moreau,Kowalski,Reyes,Scott,Park,Evans,Dubois,Singh}'::text[] AS last_names,
	'{Acme Corp,Blue Harbor Dental,Cedar & Pine Realty,Delta Freight,Evergreen Yoga,Foxglove Bakery,Granite Legal,Harbor Lights Marina,Ironclad Roofing,Juniper Health,Keystone Auto,Lakeside Vet,Maple Street Cafe,Northwind Solar,Orchard Hill Farms,Pioneer Plumbing,Quartz Analytics,Riverbend Storage,Summit Fitness,Tidewater HVAC}'::text[] AS companies,
	'{New York,San Francisco,Chicago,Seattle,Denver,Atlanta,Phoenix,Portland,Raleigh,Miami,Austin,Boston}'::text[] AS cities,
	-- area codes, in the same order as the cities above
	'{212,415,312,206,303,404,602,503,919,305,512,617}'::text[] AS area_codes;

-- The generated leads: about 3% without a first name, 10% without a company, a plan
-- (pro, trial or free) and sometimes the length of their trial, as custom fields.
CREATE TEMP TABLE gen AS
SELECT g,
	   CASE WHEN random() < 0.03 THEN NULL
			ELSE p.first_names[1 + floor(random() * cardinality(p.first_names))::int] END AS first_name,
	   p.last_names[1 + floor(random() * cardinality(p.last_names))::int] AS last_name,
	   CASE WHEN random() < 0.10 THEN NULL
			ELSE p.companies[1 + floor(random() * cardinality(p.companies))::int] END AS company,
	   1 + floor(random() * cardinality(p.cities))::int AS city_no,
	   (ARRAY['pro', 'trial', 'trial', 'free', 'free'])[1 + floor(random() * 5)::int] AS plan,
	   (ARRAY[NULL, '7', '30'])[1 + floor(random() * 3)::int] AS trial_days
  FROM generate_series(1, :leads) g, pick p;

-- Numbers: unique for up to 10,000 leads (the line number is a bijection of g), exchanges
-- 200-799 skipping N11 and 555, so every number is a valid-looking US number.
CREATE TEMP TABLE gen_phone AS
SELECT g.*, p.cities[g.city_no] AS city,
	   '+1' || p.area_codes[g.city_no]
			|| (CASE WHEN x.exch IN (211, 311, 411, 511, 555, 611, 711) THEN x.exch + 1 ELSE x.exch END)::text
			|| lpad(((g.g * 7919) % 10000)::text, 4, '0') AS phone
  FROM gen g, pick p, LATERAL (SELECT 200 + (g.g * 13) % 600 AS exch) x;

SELECT count(*)
  FROM (SELECT textseq.add_lead(first_name, last_name, ARRAY[phone], company,
								lower(coalesce(first_name, 'info') || '.' || last_name || '@example.com'),
								jsonb_strip_nulls(jsonb_build_object('plan', plan, 'city', city,
																	 'trial_days', trial_days::int)))
		  FROM gen_phone ORDER BY g) l;

-- Every demo number gets a time zone where it is mid-day now, so the send window is open.
UPDATE textseq.phone SET time_zone = :'day_zone';

-- The special cases.  Numbers use exchanges 900-999, which the generated leads never do.
CREATE TABLE public.demo_case (
	lead_id bigint PRIMARY KEY,
	label text NOT NULL,
	phone text NOT NULL,
	fault text,
	expect text NOT NULL
);
COMMENT ON TABLE public.demo_case IS 'Demo only: leads with a special outcome and the mock fault behind it';

CREATE TEMP TABLE special (n int, label text, first_name text, company text, phones text[],
						   fault text, expect text);
INSERT INTO special VALUES
	(1,  'invalid (21211)',          'Ivy',    'Nullpoint Inc',  '{+12129010001}', 'error:21211', 'omitted_invalid'),
	(2,  'invalid (21211)',          'Ike',    NULL,             '{+14159010002}', 'error:21211', 'omitted_invalid'),
	(3,  'invalid (libphonenumber)', 'Ida',    'Typo Ltd',       '{+12121230003}', NULL,          'omitted_invalid'),
	(4,  'landline (21614)',         'Lars',   'Deskphone LLC',  '{+13129010004}', 'error:21614', 'omitted_landline'),
	(5,  'opted out (21610)',        'Otto',   'Quiet Co',       '{+12069010005}', 'error:21610', 'omitted_opted_out'),
	(6,  'carrier filter (30007)',   'Cara',   'Filterbox',      '{+13039010006}', 'error:30007', 'error, never resent'),
	(7,  '500, not processed',       'Tess',   'Flaky Networks', '{+14049010007}', 'status:500@#1', 'reconciled, resent'),
	(8,  '500 after acceptance',     'Amir',   'Limbo Labs',     '{+16029010008}', 'accept_then_status:500@#1', 'reconciled, not resent'),
	(9,  'throttled (429, 2 s)',     'Theo',   'Slow Lane',      '{+15039010009}', 'throttle:2@#1', 'sent after the wait'),
	(10, '2 numbers, 1st landline',  'Linda',  'Two Lines Co',   '{+19199010010,+19199010110}', 'error:21614', '2nd number'),
	(11, '2 numbers, 1st landline',  'Leo',    'Two Lines Co',   '{+12129010011,+12129010111}', 'error:21614', '2nd number'),
	(12, '2 numbers, 1st landline',  'Lucia',  NULL,             '{+14159010012,+14159010112}', 'error:21614', '2nd number'),
	(13, '2 numbers, 1st 21614',     'Lionel', 'Surprise Desk',  '{+13129010013,+13129010113}', 'error:21614', '2nd number (SPEC 10)'),
	(14, 'do not contact',           'Dora',   'Private Ltd',    '{+13059010014}', NULL,          'omitted_do_not_contact'),
	(15, 'do not contact',           'Dirk',   NULL,             '{+15129010015}', NULL,          'omitted_do_not_contact'),
	(16, 'do not contact',           'Daria',  'Hush Media',     '{+16179010016}', NULL,          'omitted_do_not_contact'),
	(17, 'opted out before launch',  'Omar',   'Gone Fishing',   '{+12069010017}', NULL,          'omitted_opted_out'),
	(18, 'same lead imported twice', 'Dee',    'Echo Partners',  '{+12129010018}', NULL,          'each text once'),
	(19, 'same lead imported twice', 'Dee',    'Echo Partners',  '{+12129010018}', NULL,          'each text once');

CREATE TEMP TABLE special_lead AS
SELECT s.*, textseq.add_lead(s.first_name, 'Case' || s.n, s.phones, s.company,
							 lower(s.first_name) || '@example.com',
							 jsonb_build_object('plan', 'trial', 'city', 'Springfield')) AS lead_id
  FROM special s ORDER BY s.n;

INSERT INTO public.demo_case (lead_id, label, phone, fault, expect)
SELECT lead_id, label, textseq.normalize_phone(phones[1]), fault, expect FROM special_lead;

UPDATE textseq.phone SET time_zone = :'day_zone' WHERE time_zone IS NULL;
-- what a carrier lookup at import time would have said
UPDATE textseq.phone SET line_type = 'landline'
 WHERE e164 IN (SELECT phones[1] FROM special WHERE label = '2 numbers, 1st landline');
UPDATE textseq.contact SET do_not_contact = true
 WHERE lead_id IN (SELECT lead_id FROM special_lead WHERE label = 'do not contact');
-- (an opt-out goes through the consent log: textseq.opt_out, then back-dated)
SELECT textseq.opt_out(phones[1], 'demo: replied STOP three days ago')
  FROM special WHERE label = 'opted out before launch';
UPDATE textseq.phone SET opted_out_at = now() - interval '3 days'
 WHERE e164 IN (SELECT phones[1] FROM special WHERE label = 'opted out before launch');

-- About twenty leads live where it is night now: their texts wait for the morning.
UPDATE textseq.phone p SET time_zone = :'night_zone'
  FROM textseq.contact c
 WHERE c.phone = p.e164 AND c.position = 1
   AND c.lead_id IN (SELECT l.id FROM textseq.lead l WHERE l.id % 150 = 7
					  AND l.id NOT IN (SELECT lead_id FROM public.demo_case));

-- The sample is one import list, as a CSV import would have made it (aNinja's
-- lead.bulkimport_id): scripts/demo/launch.sql launches the sequence to it.
UPDATE textseq.lead SET bulkimport_id = 1;
