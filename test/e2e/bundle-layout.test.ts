// What the built tools load before they do their job (docs/performance.md, "Start-up and memory"). The bench
// measures the time; these tests keep the layout that gives it from slipping back unnoticed: a
// static import of daemon.ts in telemd's main.ts, or a probe importing node:crypto, would still
// pass every other test and only show up as milliseconds in `npm run bench`.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { binPath } from '../helpers/run-bin.ts';

const STATIC_IMPORT = /^(?:import\s[^;]*?\sfrom\s|import\s)"(\.[^"]+)";/gms;
const DYNAMIC_IMPORT = /\bimport\("(\.[^"]+)"\)/g;

/** The files node evaluates before the entry's first line runs: the entry and its static imports. */
function staticClosure(entry: string): Map<string, string> {
  const files = new Map<string, string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    const text = readFileSync(file, 'utf8');
    files.set(file, text);
    for (const m of text.matchAll(STATIC_IMPORT)) visit(path.resolve(path.dirname(file), m[1]!));
  };
  visit(entry);
  return files;
}

/** Built-ins a bundle loads as a module import (the bundler's wrapper), not inside a function. */
function importedBuiltins(text: string): string[] {
  return [...text.matchAll(/^\/\/ node-builtin:([a-z_/]+)$/gm)].map((m) => m[1]!);
}

/** telemd's chunks (dist/chunks/telemd/*.mjs), read only when the code that needs them runs. */
function telemdChunks(): string[] {
  const dir = binPath('packages/telemd/dist/chunks/telemd');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.mjs'))
    .map((f) => path.join(dir, f));
}

test('telemd listens before it loads the daemon: the entry statically reaches neither it nor undici', () => {
  const entry = binPath('packages/telemd/dist/telemd.mjs');
  const closure = staticClosure(entry);
  const all = [...closure.values()].join('\n');
  assert.match(all, /function openListener\(/, 'the first stage opens the listener');
  assert.match(all, /function preflight\(/, 'the first stage checks what could refuse the start');
  assert.doesNotMatch(all, /function startDaemon\(/, 'daemon.ts is not in the first stage');
  assert.doesNotMatch(all, /undici/, 'undici is not in the first stage');
  // The built-ins the first stage loads: the floor's net, plus what it needs to read its config.
  const builtins = new Set([...closure.values()].flatMap(importedBuiltins));
  assert.ok(builtins.has('net'), 'the sanity check: the first stage does import node:net');
  for (const heavy of ['fs/promises', 'crypto', 'perf_hooks', 'http', 'worker_threads', 'v8']) {
    assert.ok(!builtins.has(heavy), `node:${heavy} is loaded before listening: ${[...builtins].join(', ')}`);
  }
  // The second stage is still there, as a chunk the entry imports once it listens.
  const dynamic = [...(closure.get(entry) ?? '').matchAll(DYNAMIC_IMPORT)].map((m) => m[1]!);
  assert.ok(
    dynamic.some((d) => /chunks\/telemd\/daemon-[A-Z0-9]+\.mjs$/.test(d)),
    `no dynamic import of the daemon chunk: ${dynamic.join(', ')}`,
  );
});

test("telemd's bundle has no HTTP/2 client and no Milo parser (undici's, never used)", () => {
  let h1 = false;
  for (const chunk of telemdChunks()) {
    const text = readFileSync(chunk, 'utf8');
    assert.ok(!importedBuiltins(text).includes('http2'), `${chunk} imports node:http2`);
    assert.doesNotMatch(text, /\/\/ \.\.\/\.\.\/node_modules\/undici\/lib\/milo\//, `${chunk} bundles Milo`);
    h1 ||= text.includes('// ../../node_modules/undici/lib/dispatcher/client-h1.js');
  }
  assert.ok(h1, 'the sanity check: the HTTP/1.1 client is bundled, under the path the Milo check looks for');
});

test("telemd's bundle takes no node:fs/promises (1.2 MiB of idle RSS)", () => {
  const files = [binPath('packages/telemd/dist/telemd.mjs'), ...telemdChunks()];
  const all = files.map((file) => readFileSync(file, 'utf8')).join('\n');
  const builtins = new Set(importedBuiltins(all));
  assert.ok(builtins.has('fs'), 'the sanity check: the bundle does import node:fs');
  for (const heavy of ['fs/promises']) {
    assert.ok(!builtins.has(heavy), `the telemd bundle imports node:${heavy}: ${[...builtins].join(', ')}`);
  }
  // node:fs's promises getter loads node:fs/promises as surely as an import does.
  assert.doesNotMatch(all, /\.promises\b/, 'fs.promises is read somewhere in the telemd bundle');
  // undici takes the real node:http and node:assert (no stand-ins since issue 20).
  assert.ok(
    builtins.has('http') && builtins.has('assert'),
    'undici imports the real node:http and node:assert',
  );
});

test('hprobe imports neither node:crypto nor node:fs/promises (5 ms and 1.3 ms of a ~40 ms run)', () => {
  const closure = staticClosure(binPath('packages/hprobe/dist/hprobe.mjs'));
  const builtins = new Set([...closure.values()].flatMap(importedBuiltins));
  assert.ok(builtins.has('net'), 'the sanity check: hprobe does import node:net');
  for (const heavy of ['crypto', 'fs/promises', 'perf_hooks', 'worker_threads']) {
    assert.ok(!builtins.has(heavy), `hprobe imports node:${heavy}: ${[...builtins].join(', ')}`);
  }
});
