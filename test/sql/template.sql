-- template.sql: pgTAP tests of merge templates: SQLSTATEs of every template
-- problem, template_check rows, Liquid semantics through jsonb, the cache.
BEGIN;
SELECT plan(57);

-- the functions' declared properties
SELECT volatility_is('textseq', 'render', ARRAY['text', 'jsonb'], 'immutable', 'render is IMMUTABLE');
SELECT is_strict('textseq', 'render', ARRAY['text', 'jsonb'], 'render is STRICT');
SELECT volatility_is('textseq', 'template_check', ARRAY['text', 'regclass'], 'stable', 'template_check is STABLE');
SELECT has_function('textseq', 'template_validate', ARRAY['text'], 'template_validate(text) exists');

-- merge fields and Liquid's nil/empty/missing rules
SELECT is(textseq.render('Hi {{ lead.first_name }}!', '{"lead": {"first_name": "Ann"}}'), 'Hi Ann!', 'a lead field is merged');
SELECT is(textseq.render('Hi {{ lead.first_name }}!', '{"lead": {}}'), 'Hi !', 'a missing field renders as empty');
SELECT is(textseq.render('{{ lead.company | default: "your company" }}', '{"lead": {"company": null}}'), 'your company', 'default applies to null');
SELECT is(textseq.render('{{ lead.company | default: "your company" }}', '{"lead": {"company": ""}}'), 'your company', 'default applies to ""');
SELECT is(textseq.render('{{ lead.company | default: "your company" }}', '{"lead": {"company": false}}'), 'your company', 'default applies to false');
SELECT is(textseq.render('{{ lead.company | default: "x" }}', '{"lead": {"company": " "}}'), ' ', 'default keeps whitespace');
SELECT is(textseq.render('[{{ lead.opted | default }}]', '{"lead": {"opted": false}}'), '[]', 'default without an argument replaces false by ""');
SELECT throws_ok($$SELECT textseq.render('{{ lead.opted | default: allow_false: true }}', '{}')$$, '22023', 'invalid template filter argument',
                 'allow_false without a default value is 22023');
SELECT is(textseq.render('{% if lead.company %}yes{% endif %}', '{"lead": {"company": ""}}'), 'yes', 'the empty string is truthy');
SELECT is(textseq.render('{% if lead.n %}yes{% endif %}', '{"lead": {"n": 0}}'), 'yes', 'zero is truthy');
SELECT is(textseq.render('{% if lead.x %}yes{% else %}no{% endif %}', '{"lead": {"x": null}}'), 'no', 'null is falsy');
SELECT is(textseq.render('{% if lead.x == blank %}blank{% endif %}', '{"lead": {"x": " \t "}}'), 'blank', 'whitespace is blank');
SELECT is(textseq.render('{% if lead.x == empty %}empty{% else %}not{% endif %}', '{"lead": {}}'), 'not', 'missing is not empty');
SELECT is(textseq.render('{% if lead.x != empty %}not empty{% endif %}', '{"lead": {"x": "a"}}'), 'not empty', '!= empty');
SELECT is(textseq.render('{{ sender.signature }}', '{"sender": {"signature": "-- Bob"}}'), '-- Bob', 'sender signature');
SELECT is(textseq.render('{{ a.n }} {{ a.b }} {{ a.o }}', '{"a": {"n": 2.50, "b": true, "o": {"k": 1}}}'), '2.50 true {"k": 1}', 'numbers, booleans and objects render as jsonb text');

-- brackets
SELECT is(textseq.render('{{ lead["first name"] }}', '{"lead": {"first name": "Ann"}}'), 'Ann', 'a bracketed key with a space');
SELECT is(textseq.render('{{ lead[field] }}', '{"lead": {"city": "Oslo"}, "field": "city"}'), 'Oslo', 'a key held by a variable');
SELECT is(textseq.render('{{ lead.tags[0] }}/{{ lead.tags[-1] }}', '{"lead": {"tags": ["a", "b", "c"]}}'), 'a/c', 'array indexes, negative from the end');
SELECT is(textseq.render('[{{ lead.tags["1"] }}]', '{"lead": {"tags": ["a", "b"]}}'), '[]', 'a string key does not index an array');

SELECT is(textseq.render('{{ lead.name.first }}{{ lead.name.last }}', '{"lead": {"name": "Ann"}}'), 'An', '.first and .last of a string are characters');
SELECT is(textseq.render('{{ lead.rows.first[1] }}{{ lead.rows.first.size }}', '{"lead": {"rows": [["a", "b"]]}}'), 'b2', 'built-ins apply within a path');

-- filters
SELECT is(textseq.render('[{{ lead.x | truncate: 5 }}][{{ lead.x | upcase | strip | capitalize }}][{{ lead.x | replace: "a", "b" | append: "!" }}]', '{"lead": {}}'),
          '[][][!]', 'filters on a missing value render empty, never an error');
SELECT is(textseq.render('{{ lead.f | truncate: 3 }}|{{ lead.f | capitalize }}|{{ lead.n | prepend: 1 }}', '{"lead": {"f": false, "n": 42}}'),
          '...|False|142', 'filters take false and numbers as their text, as Liquid does');
SELECT is(textseq.render('{{ "çà et là" | upcase }}', '{}'), 'ÇÀ ET LÀ', 'upcase is Unicode-aware');
SELECT is(textseq.render('{{ "ПРИВЕТ" | capitalize }}', '{}'), 'Привет', 'capitalize works on Cyrillic');
SELECT is(textseq.render('{{ "Ground control to Major Tom." | truncate: 20 }}', '{}'), 'Ground control to...', 'truncate counts the ellipsis');
SELECT is(textseq.render('{{ "ééééé" | truncate: 4, "" }}', '{}'), 'éééé', 'truncate counts characters, not bytes');
SELECT is(textseq.render('{{ "abcdefghijkl" | truncate: "010" }}', '{}'), 'abcde...', 'truncate reads a quoted length as Ruby''s Integer() does');
SELECT throws_ok($$SELECT textseq.render('{{ "abc" | truncate: 5.0 }}', '{}')$$, '22023', 'invalid template filter argument',
                 'a decimal truncate length is 22023');
SELECT is(textseq.render('{{ " x " | strip | append: "!" | prepend: "<" | replace: "x", "y" }}', '{}'), '<y!', 'strip, append, prepend, replace chain');

-- conditions
SELECT is(textseq.render('{% if a > 5 and a < 10 %}in{% else %}out{% endif %}', '{"a": 7}'), 'in', 'numeric comparisons with and');
SELECT is(textseq.render('{% if false and false or true %}yes{% else %}no{% endif %}', '{}'), 'no', 'and/or group from the right');
SELECT is(textseq.render('{% unless t contains "stop" %}go{% endunless %}', '{"t": ["a"]}'), 'go', 'unless with contains on an array');

-- every problem raises its own SQLSTATE
SELECT throws_ok($$SELECT textseq.render('Hi {{ lead.first_name', '{}')$$, '42601', 'template syntax error', 'unclosed output is 42601');
SELECT throws_ok($$SELECT textseq.render('{% if x %}', '{}')$$, '42601', 'template syntax error', 'unclosed if is 42601');
SELECT throws_ok($$SELECT textseq.render('{% endif %}', '{}')$$, '42601', 'template syntax error', 'unexpected endif is 42601');
SELECT throws_ok($$SELECT textseq.render('{% for x in y %}{% endfor %}', '{}')$$, '42601', 'unknown template tag', 'unknown tag is 42601');
SELECT throws_ok($$SELECT textseq.render('{{ x | shout }}', '{}')$$, '42883', 'unknown template filter', 'unknown filter is 42883');
SELECT throws_ok($$SELECT textseq.render('{{ x | truncate: "many" }}', '{}')$$, '22023', 'invalid template filter argument', 'bad filter argument is 22023');
SELECT throws_ok($$SELECT textseq.render(repeat('{% if true %}', 33), '{}')$$, '54001', 'template nesting too deep', 'deep nesting is 54001');
SELECT throws_ok($$SELECT textseq.render('{{ "ab" ' || repeat('| replace: "", "0123456789" ', 12) || '}}', '{}')$$,
                 '54000', 'rendered template too long', 'runaway rendering is 54000');
SELECT throws_ok($$SELECT textseq.template_validate(repeat('x', 65537))$$, '54000', 'template too long', 'templates over 64 KiB are refused');
SELECT throws_ok($$SELECT textseq.template_validate('{{ a | nope }}')$$, '42883', 'unknown template filter', 'validate raises the problem');
SELECT lives_ok($$SELECT textseq.template_validate('Hi {{ lead.first_name | default: "there" }}')$$, 'validate accepts a good template');

-- template_check returns every problem with line and column
SELECT results_eq(
  $$SELECT line, col, sqlstate FROM textseq.template_check(E'{{ a | nope }}\n  {% bogus %}\n{{ b | upcase: 1 }}')$$,
  $$VALUES (1, 8, '42883'), (2, 6, '42601'), (3, 8, '22023')$$,
  'template_check lists every problem in order');
SELECT is_empty($$SELECT * FROM textseq.template_check('{{ lead.first_name | default: "friend" }}')$$, 'a good template has no problems');
CREATE TEMP TABLE tap_lead (id bigint PRIMARY KEY, first_name text);
SELECT results_eq(
  $$SELECT line, col, sqlstate, message FROM textseq.template_check('{{ lead.first_name }} {{ lead.last_name }}', 'tap_lead')$$,
  $$VALUES (1, 31, '42703', 'lead field "last_name" is not a column of tap_lead')$$,
  'unknown lead fields are 42703 when a lead table is given');
SELECT results_eq(
  $$SELECT col, message FROM textseq.template_check('{{ lead["last name"] }} {{ lead[key] }}', 'tap_lead')$$,
  $$VALUES (9, 'lead field "last name" is not a column of tap_lead')$$,
  'a bracketed lead field is checked; a key held by a variable is not');
SELECT is_empty($$SELECT * FROM textseq.template_check('{{ lead.last_name }}')$$, 'lead fields are not checked without a table');
SELECT is((SELECT count(*)::int FROM textseq.template_check(E'{% if %}{% endif %}\n{{ lead.zz | nope }}', 'tap_lead')), 3,
          'syntax, filter and field problems are reported together');

-- the cache: many renders, one parse
SELECT is((SELECT count(DISTINCT textseq.render('{{ n }} cached tap', jsonb_build_object('n', i)))::int FROM generate_series(1, 500) i), 500,
          'render over many rows');
SELECT ok((SELECT entries >= 1 AND hits >= 499 FROM textseq.render_cache_stats()), 'repeated renders hit the cache');

SELECT * FROM finish();
ROLLBACK;
