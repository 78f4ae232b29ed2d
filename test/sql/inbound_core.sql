-- inbound_core.sql: consent verdicts and conversation-branch matching through SQL
-- (the cores have their own unit tests and fuzzers; this checks the glue).
BEGIN;
SELECT plan(22);

SELECT is((textseq.consent_verdict('STOP')).verdict, 'opt_out', 'STOP opts out');
SELECT is((textseq.consent_verdict('Stop. Thank you')).verdict, 'opt_out', '"Stop. Thank you" opts out');
SELECT is((textseq.consent_verdict('please remove me')).rule, 'remove me', 'a phrase names its rule');
SELECT is((textseq.consent_verdict('stop')).keyword, true, 'STOP is a carrier keyword');
SELECT is((textseq.consent_verdict('unsubscribe me')).keyword, false, 'a phrase is not a keyword');
SELECT is((textseq.consent_verdict('stopping by later')).verdict, 'none', 'a mention is an ordinary reply');
SELECT is((textseq.consent_verdict('don''t stop')).rule, NULL, 'no rule for an ordinary reply');
SELECT is((textseq.consent_verdict('YES')).verdict, 'opt_in', 'YES opts in');
SELECT is((textseq.consent_verdict('info')).verdict, 'help', 'INFO asks for help');
SELECT is((textseq.consent_verdict('')).verdict, 'none', 'an empty body is an ordinary reply');
SELECT is((textseq.consent_verdict(repeat('stop ', 400))).verdict, 'none', 'a 2,000-character body is not a keyword');
SELECT is((textseq.consent_verdict(NULL)).verdict, NULL, 'NULL in, NULL out (STRICT)');

SELECT ok(textseq.branch_matches('equals', 'Yes!', 'yes, y'), 'equals ignores case and punctuation');
SELECT ok(textseq.branch_matches('EQUALS', 'oh yes please', '*yes*'), 'contains');
SELECT ok(NOT textseq.branch_matches('less', 'three', '5'), 'a non-numeric reply never matches less');
SELECT ok(textseq.branch_matches('between', '7', '10', '5'), 'between in either order');
SELECT ok(textseq.branch_matches('any', NULL), 'any is the fallback');
SELECT throws_ok($$SELECT textseq.branch_matches('contains', 'x', 'y')$$, '22023',
	'unknown branch match "contains"', 'an unknown match is refused');
SELECT throws_ok($$SELECT textseq.branch_matches(NULL, 'x', 'y')$$, '22004',
	'branch match must not be null', 'a NULL match is refused');
SELECT throws_ok($$SELECT textseq.branch_check('less', 'ten')$$, '22023',
	'invalid conversation branch', 'less needs a number');
SELECT lives_ok($$SELECT textseq.branch_check('greater', 'lead.score')$$,
	'a lead field value is checked when the reply arrives');
SELECT throws_ok($$SELECT textseq.branch_check('equals', ' , ')$$, '22023',
	'invalid conversation branch', 'equals needs words');

SELECT * FROM finish();
ROLLBACK;
