import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  hasNestedQuantifier,
  classChoices,
  classMatcher,
  FilterError,
  filterQuery,
  filterWhere,
  parseFilter,
} from './records-filter.ts';

test('All and empty values are no filter; the rest round-trips through the query string', () => {
  const f = parseFilter(
    new URLSearchParams('classification=All&build=&severity=3&machine_id=m1&data_source=external'),
  );
  assert.deepEqual(f, { severity: 3, machine_id: 'm1', data_source: 'external' });
  assert.equal(filterQuery(f).toString(), 'severity=3&machine_id=m1&data_source=external');
});

test('bad severity, source and regexes are refused with the field named', () => {
  assert.throws(() => parseFilter(new URLSearchParams('severity=9')), FilterError);
  assert.throws(() => parseFilter(new URLSearchParams('data_source=x')), /data_source/);
  assert.throws(() => parseFilter(new URLSearchParams('payload=(')), /payload: not a valid/);
});

test('a wildcard class is GLOB on SQLite and escaped LIKE on PostgreSQL', () => {
  const f = { classification: 'org.clearlinux/crash_x%/*' };
  const s = filterWhere('sqlite', f);
  assert.equal(s.sql, ' WHERE classification GLOB $1');
  assert.deepEqual(s.params, ['org.clearlinux/crash_x%/*']);
  const p = filterWhere('postgres', f);
  assert.equal(p.sql, " WHERE classification LIKE $1 ESCAPE '\\'");
  assert.deepEqual(p.params, ['org.clearlinux/crash\\_x\\%/%']);
  assert.deepEqual(filterWhere('sqlite', { classification: 'a[?]/*' }).params, ['a[[][?]]/*']);
});

test('payload regex and its negation use the dialect operator', () => {
  const w = filterWhere('postgres', { payload: 'a', not_payload: 'b', data_source: 'internal' });
  assert.equal(w.sql, ' WHERE payload ~ $1 AND NOT (payload ~ $2) AND (external = $3 OR external IS NULL)');
});

test('the JS wildcard matcher agrees with the SQL one: only * is special', () => {
  const m = classMatcher('org.clearlinux/crash/*');
  assert.equal(m('org.clearlinux/crash/clr'), true);
  assert.equal(m('org.clearlinuxX/crash/clr'), false);
  assert.equal(classMatcher('a_b/%/*')('a_b/%/c'), true);
  assert.equal(classMatcher('a_b/*')('aXb/c'), false);
  assert.equal(classMatcher('a(b/*')('a(b/c'), true);
});

test('regexes that can take exponential time are refused, ordinary ones pass', () => {
  for (const bad of ['(a+)+$', '(\\w*x)*', '(a|b+){2,}', '((ab)*c)+', '(?:x+)*']) {
    assert.equal(hasNestedQuantifier(bad), true, bad);
    assert.throws(() => parseFilter(new URLSearchParams({ payload: bad })), /exponential/);
  }
  for (const ok of [
    'item_length',
    'fn_1[0-9]+',
    '(abc)+',
    '(a|b)*c',
    '^Process: /usr/bin/[a-z+*]+$',
    '\\(x+\\)+',
    'a{2,3}b+',
  ]) {
    assert.equal(hasNestedQuantifier(ok), false, ok);
  }
  assert.throws(() => parseFilter(new URLSearchParams({ not_payload: 'x'.repeat(257) })), /at most 256/);
});

test('class choices add the a/* and a/b/* wildcards as upstream', () => {
  assert.deepEqual(classChoices(['org.clearlinux/crash/clr', 'org.clearlinux/hello/world']), [
    'org.clearlinux/*',
    'org.clearlinux/crash/*',
    'org.clearlinux/crash/clr',
    'org.clearlinux/hello/*',
    'org.clearlinux/hello/world',
  ]);
});
