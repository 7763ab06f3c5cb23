import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readVector } from '../../../../test/helpers/vectors.ts';
import { decodeFrame, encodeFrame, FrameDecoder } from './frame.ts';

test('v2.4.3 hprobe frame decodes and re-encodes byte for byte', () => {
  const bytes = readVector('socket/v2.4.3-hprobe.bin');
  const decoded = decodeFrame(bytes);
  assert.ok(decoded.ok, decoded.ok ? '' : decoded.detail);
  assert.equal(decoded.value.framing, 'v2');
  assert.equal(decoded.value.headers.classification, 'org.clearlinux/hello/world');
  assert.equal(decoded.value.payload.toString(), 'hello\n');
  assert.deepEqual(encodeFrame(decoded.value), bytes);
});

test('legacy framing is the same record with a prefix 9 smaller', () => {
  const bytes = readVector('socket/v2.4.3-hprobe-cfg.bin');
  const decoded = decodeFrame(bytes);
  assert.ok(decoded.ok);
  assert.equal(decoded.value.cfgPath, '/etc/telemetrics/custom.conf');
  const legacy = encodeFrame(decoded.value, { framing: 'legacy' });
  assert.equal(legacy.readUInt32LE(0), bytes.length - 9);
  const back = decodeFrame(legacy);
  assert.ok(back.ok);
  assert.equal(back.value.framing, 'legacy');
});

test('FrameDecoder reassembles a frame split byte by byte', () => {
  const bytes = readVector('socket/v2.4.3-special.bin');
  const decoder = new FrameDecoder();
  let last = '';
  for (const b of bytes) last = decoder.push(Uint8Array.of(b)).state;
  assert.equal(last, 'complete');
  const result = decoder.finish();
  assert.ok(result.ok);
  assert.equal(result.value.headers.event_id, '0123456789abcdeffedcba9876543210');
});

test('FrameDecoder: finish() after a complete v2 frame gives what decodeFrame gives, trailing bytes counted', () => {
  const bytes = readVector('socket/v2.4.3-hprobe-cfg.bin');
  const decoder = new FrameDecoder();
  assert.equal(decoder.push(bytes.subarray(0, 10)).state, 'more');
  assert.equal(decoder.push(Buffer.concat([bytes.subarray(10), Buffer.from('abc')])).state, 'complete');
  assert.equal(decoder.push(Buffer.from('defg')).state, 'complete');
  const result = decoder.finish();
  const direct = decodeFrame(Buffer.concat([bytes, Buffer.from('abcdefg')]));
  assert.ok(result.ok && direct.ok);
  assert.deepEqual(result.value, direct.value);
  assert.equal(result.value.trailingBytes, 7);
  assert.equal(result.value.cfgPath, '/etc/telemetrics/custom.conf');
});
