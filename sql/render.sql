-- render: textseq.render, template_check and template_validate from SQL.
\set VERBOSITY default
SET client_min_messages = warning;

-- the basic merge of SPEC section 4
SELECT textseq.render(
  'Hi {{ lead.first_name }}, news from {{ lead.company | default: "your company" }}. {{ sender.signature }}',
  '{"lead": {"first_name": "Ann", "company": null}, "sender": {"signature": "-- Bob"}}');

-- missing values render as empty; default applies to nil, false and ""
SELECT textseq.render('[{{ lead.nope }}][{{ nope.deeper.still }}][{{ lead.first_name.x }}]',
                      '{"lead": {"first_name": "Ann"}}');
SELECT textseq.render('{{ lead.a | default: "A" }} {{ lead.b | default: "B" }} {{ lead.c | default: "C" }} {{ lead.d | default: "D" }} {{ lead.c | default: "C", allow_false: true }}',
                      '{"lead": {"a": null, "b": "", "c": false, "d": 0}}');
-- default without an argument (Liquid's default value is ""): false and nil print nothing
SELECT textseq.render('[{{ lead.a | default }}][{{ lead.c | default }}][{{ lead.d | default }}]',
                      '{"lead": {"a": null, "c": false, "d": 0}}');

-- jsonb values: strings raw, numbers as their jsonb text, booleans, objects as jsonb text,
-- arrays as their elements one after the other (as Liquid prints them)
SELECT textseq.render('{{ v.s }}|{{ v.n }}|{{ v.i }}|{{ v.t }}|{{ v.f }}|{{ v.z }}|{{ v.o }}|{{ v.a }}|{{ v.a.1 }}|{{ v.a.size }}|{{ v.a.first }}|{{ v.o.size }}',
                      '{"v": {"s": "a \"quoted\" <b>", "n": 1.50, "i": 42, "t": true, "f": false, "z": null, "o": {"k": [1, 2]}, "a": ["x", 2, null]}}');
SELECT textseq.render('{{ lead.name }}', '"a scalar document"'), textseq.render('{{ 0 }}', '[]');
-- nested arrays too, null as nothing; a filter takes an array's jsonb text
SELECT textseq.render('[{{ v.a }}] [{{ v.e }}] {{ v.a | append: "" }}', '{"v": {"a": ["x", [1, [true, null]], {"k": 2}], "e": []}}');

-- brackets, as in Liquid: keys that are no names, indexes (negative from the end), keys held by a path
SELECT textseq.render('{{ lead["first name"] }}|{{ lead[''e-mail''] }}|{{ lead.tags[0] }}|{{ lead.tags[-1] }}|{{ lead[lead.pick] }}|{{ lead.tags[lead.i] }}|{{ ["lead"].pick }}',
                      '{"lead": {"first name": "Ann", "e-mail": "ann@example.com", "tags": ["new", "vip"], "pick": "first name", "i": 1}}');
-- a string is no index and an integer no key; a key that is nil selects nothing; .size is never a bracketed key
SELECT textseq.render('[{{ lead.tags["0"] }}][{{ lead[0] }}][{{ lead[lead.nope] }}][{{ lead.tags["size"] }}][{{ lead.tags.size }}]',
                      '{"lead": {"tags": ["new", "vip"], "0": "zero"}}');
SELECT textseq.render('{% if lead[f] contains "nn" and lead.tags[1] == "vip" %}yes{% endif %} {{ lead.x | default: lead["first name"] | upcase }}',
                      '{"lead": {"first name": "Ann", "tags": ["new", "vip"]}, "f": "first name"}');

-- .first and .last of a string are characters; .size, .first and .last apply at any step
SELECT textseq.render('{{ lead.name.first }}.{{ lead.name.last }} {{ lead.tags.first.size }} {{ lead.rows.first[1] }} {{ lead.rows.last.first }} [{{ lead.empty.first }}]',
                      '{"lead": {"name": "Émile", "tags": ["vip", "new"], "rows": [["a", "b"], ["c"]], "empty": ""}}');

-- filters, Unicode-aware
SELECT textseq.render('{{ lead.first_name | upcase }} {{ lead.first_name | downcase }} {{ lead.first_name | capitalize }}',
                      '{"lead": {"first_name": "éMILE-ŁUKASZ straße"}}');
SELECT textseq.render('{{ lead.city | upcase }}|{{ lead.city | capitalize }}', '{"lead": {"city": "αθήνα"}}');
SELECT textseq.render('{{ lead.city | downcase }}|{{ lead.city | capitalize }}', '{"lead": {"city": "МОСКВА"}}');
SELECT textseq.render('{{ lead.note | truncate: 10 }}|{{ lead.note | truncate: 10, "…" }}|{{ lead.note | truncate: 4, "" }}|{{ lead.note | truncate: 100 }}',
                      '{"lead": {"note": "Hello 😀 wonderful world"}}');
-- truncate's length as Liquid reads it (Ruby's Integer()): "010" is octal 8, " 0x0A " is 10;
-- a jsonb 5.0 is no integer to Ruby, so the text is left alone
SELECT textseq.render('{{ lead.note | truncate: "010" }}|{{ lead.note | truncate: lead.n }}|{{ lead.note | truncate: lead.f }}',
                      '{"lead": {"note": "Ground control to Major Tom.", "n": " 0x0A ", "f": 5.0}}');
SELECT textseq.render('[{{ lead.pad | strip }}] {{ lead.first_name | prepend: "Dear " | append: "," }} {{ lead.phone | replace: "-", "" }}',
                      '{"lead": {"pad": "  \t spaced \n ", "first_name": "Ann", "phone": "555-123-4567"}}');

-- conditions: only nil and false are falsy; blank and empty; and/or from the right
SELECT textseq.render('{% if lead.company %}C{% else %}no company{% endif %}', '{"lead": {"company": ""}}');
SELECT textseq.render('{% if lead.company == blank %}blank{% endif %}{% if lead.company == empty %} empty{% endif %}',
                      '{"lead": {"company": "   "}}');
SELECT textseq.render('{% unless lead.vip %}regular{% else %}VIP{% endunless %}', '{"lead": {"vip": true}}');
SELECT textseq.render('{% if lead.age >= 21 and lead.state == "TX" %}A{% elsif lead.age < 21 %}B{% else %}C{% endif %}', d)
  FROM (VALUES ('{"lead": {"age": 30, "state": "TX"}}'::jsonb), ('{"lead": {"age": 18}}'), ('{"lead": {"age": "30"}}'), ('{}')) v(d);
SELECT textseq.render('{% if lead.tags contains "vip" %}vip {% endif %}{% if lead.name contains "nn" %}nn {% endif %}{% if lead contains "tags" %}has-tags{% endif %}',
                      '{"lead": {"tags": ["new", "vip"], "name": "Ann"}}');
SELECT textseq.render('{% if true or false and false %}right-grouped{% endif %}', '{}');

-- whitespace control, comments, raw
SELECT textseq.render(E'Hi\n  {%- if lead.vip -%}\n    VIP\n  {%- endif -%}\n!', '{"lead": {"vip": true}}');
SELECT textseq.render('a{% comment %}{{ ignored }}{% endcomment %}b{% raw %}{{ kept }}{% endraw %}', '{}');

-- the cache serves repeated templates: a thousand renders, one parse
SELECT misses AS misses_before FROM textseq.render_cache_stats() \gset
SELECT count(DISTINCT textseq.render('{{ lead.n }} of {{ lead.total | default: 1000 }}', jsonb_build_object('lead', jsonb_build_object('n', i))))
  FROM generate_series(1, 1000) i;
SELECT misses - :misses_before AS parses FROM textseq.render_cache_stats();

-- NULL in, NULL out (STRICT)
SELECT textseq.render(NULL, '{}') IS NULL AS null_template, textseq.render('x', NULL) IS NULL AS null_data;

-- errors: each with its SQLSTATE, position and a short message
\set VERBOSITY default
SELECT textseq.render('Hi {{ lead.first_name', '{}');
SELECT textseq.render(E'line one\n{% for x in y %}', '{}');
SELECT textseq.render('{% endif %}', '{}');
SELECT textseq.render('{% if lead.vip %}open', '{}');
SELECT textseq.render('{{ lead.first_name | upcasee }}', '{}');
SELECT textseq.render('{{ lead.first_name | truncate: "ten" }}', '{}');
SELECT textseq.render(repeat('{% if true %}', 40), '{}');
SELECT textseq.render('{{ "ab" ' || repeat('| replace: "", "0123456789" ', 12) || '}}', '{}');
SELECT textseq.render('{{ lead["first name" }}', '{}');

-- template_check lists every problem, in order, with line and column
SELECT * FROM textseq.template_check(E'Hi {{ lead.first_name | nope }}\n{% bogus %}\n{{ lead.x | truncate: 1, 2, 3 }}\n{% else %}');
SELECT * FROM textseq.template_check('All good, {{ lead.first_name | default: "friend" }}!');
SELECT * FROM textseq.template_check(NULL);

-- with a lead table, lead.<field> must be one of its columns
CREATE TABLE crm_lead (id bigint PRIMARY KEY, first_name text, company text);
SELECT * FROM textseq.template_check('{{ lead.first_name }} at {{ lead.compnay }}{% if lead.phone %}x{% endif %}{{ sender.signature }}', 'crm_lead');
SELECT * FROM textseq.template_check('{{ lead.first_name | upcase }} {{ lead.company }}', 'crm_lead'::regclass);
-- lead["<field>"] is checked like lead.<field>; lead[<variable>] is known only at render (its path is checked)
SELECT * FROM textseq.template_check('{{ lead["first_name"] }} {{ lead["comp any"] }} {{ lead[lead.pick] }} {{ lead[other] }}', 'crm_lead');

-- template_validate raises the first problem; refuses templates over 64 KiB
SELECT textseq.template_validate('Hi {{ lead.first_name | default: "there" }}');
SELECT textseq.template_validate(E'ok\n  {{ lead.first_name | append }}');
SELECT textseq.template_validate('{{ lead.opted | default: allow_false: true }}');
SELECT textseq.template_validate(repeat('x', 65537));
SELECT line, col, sqlstate FROM textseq.template_check(repeat('x', 65537));
DROP TABLE crm_lead;
