// Issue 15: "spool holds 736 of 4096 bytes; a record of 369 does not fit" left out the bytes
// reserved for writes in flight, so the numbers seemed to say the record fitted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeSpoolFile } from '@telemetrics/libtelemetry/wire';
import { makeRecord, tempDir } from './spool.fixtures.ts';
import { createSpoolStore } from './store.ts';

test('the spool-full detail counts the bytes reserved for writes in flight', async () => {
  using tmp = tempDir();
  const size = encodeSpoolFile(makeRecord(1)).length;
  const maxBytes = size + Math.floor(size / 2);
  const store = createSpoolStore({ dir: tmp.dir, maxBytes, uid: process.getuid!() });
  await store.open();
  // The first put reserves its bytes before its write; the second, made meanwhile, does not fit.
  const first = store.put(makeRecord(1));
  const second = await store.put(makeRecord(2));
  assert.ok((await first).ok);
  assert.equal(second.ok, false);
  assert.equal(!second.ok && second.reason, 'full');
  assert.equal(
    !second.ok && second.detail,
    `spool holds 0 of ${maxBytes} bytes and ${size} are reserved for writes in flight; a record of ${size} does not fit`,
  );
  await store.close();
});
