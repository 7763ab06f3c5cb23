import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CONFIG_KEYS } from './keys.ts';
import { parseConfig } from './parse.ts';
import { renderConfigKeysMarkdown, renderDefaultConfigFile } from './render.ts';
import { DEFAULT_CONFIG } from './types.ts';

const SHIPPED = new URL('../../../../etc/telemetrics.conf', import.meta.url);
const README = new URL('../../../../docs/configuration.md', import.meta.url);

/** Cells of a markdown table row, whatever the column padding. */
function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

test('etc/telemetrics.conf is exactly what renderDefaultConfigFile() produces', () => {
  assert.equal(
    readFileSync(SHIPPED, 'utf8'),
    renderDefaultConfigFile(),
    'regenerate: node scripts/gen-docs.mjs',
  );
});

test('the shipped file parses to DEFAULT_CONFIG, commented out or not', () => {
  const text = renderDefaultConfigFile();
  const asShipped = parseConfig(text, 'telemetrics.conf');
  assert.ok(asShipped.ok);
  assert.deepEqual(asShipped.value.config, DEFAULT_CONFIG);
  assert.deepEqual(asShipped.value.warnings, []);
  const uncommented = text.replace(/^#([a-z_]+=)/gm, '$1');
  assert.equal(uncommented.match(/^[a-z_]+=/gm)?.length, CONFIG_KEYS.length);
  const parsed = parseConfig(uncommented, 'telemetrics.conf');
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.detail);
  assert.deepEqual(parsed.value.config, DEFAULT_CONFIG);
  assert.deepEqual(parsed.value.warnings, []);
});

test('the tidheader default is written with the C \\s escape', () => {
  assert.match(renderDefaultConfigFile(), /^#tidheader=X-Telemetry-TID:\\s6907c830-/m);
});

test('the docs/configuration.md table lists every key with its type, default and doc', () => {
  const readme = readFileSync(README, 'utf8').split('\n');
  const expected = renderConfigKeysMarkdown().split('\n').slice(2).map(cells);
  const actual = readme.filter((line) => /^\| `[a-z_]+` +\|/.test(line)).map(cells);
  const byKey = new Map(actual.map((row) => [row[0], row]));
  for (const row of expected)
    assert.deepEqual(byKey.get(row[0]), row, `docs/configuration.md row for ${row[0]}`);
  assert.equal(expected.length, CONFIG_KEYS.length);
});
