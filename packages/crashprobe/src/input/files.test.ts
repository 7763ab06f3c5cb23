import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FileOpener } from './files.ts';

let dir = '';
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'telem-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('module files', () => {
  it('reads regular files under the sysroot; refuses symlinks, FIFOs and relative paths', () => {
    mkdirSync(path.join(dir, 'usr/lib'), { recursive: true });
    writeFileSync(path.join(dir, 'usr/lib/libx.so'), 'ELF-ish bytes');
    symlinkSync(path.join(dir, 'usr/lib/libx.so'), path.join(dir, 'usr/lib/link.so'));
    execFileSync('mkfifo', [path.join(dir, 'usr/lib/fifo.so')]);
    using opener = new FileOpener({ sysroot: dir, debugRoots: [] });
    const src = opener.openModule('/usr/lib/libx.so');
    assert.equal(Buffer.from(src?.read(0, 3) ?? []).toString(), 'ELF');
    assert.equal(src?.read(100, 10).length, 0);
    assert.equal(opener.openModule('/usr/lib/link.so'), undefined);
    // Would block forever without O_NONBLOCK.
    assert.equal(opener.openModule('/usr/lib/fifo.so'), undefined);
    assert.equal(opener.openModule('usr/lib/libx.so'), undefined);
  });

  it('finds debug files by build id and by .gnu_debuglink; close() is idempotent', () => {
    const root = path.join(dir, 'debug');
    mkdirSync(path.join(root, '.build-id/ab'), { recursive: true });
    writeFileSync(path.join(root, '.build-id/ab/cdef.debug'), 'D');
    mkdirSync(path.join(root, 'usr/bin'), { recursive: true });
    writeFileSync(path.join(root, 'usr/bin/prog.debug'), 'L');
    const opener = new FileOpener({ sysroot: dir, debugRoots: [root] });
    assert.equal(opener.openDebugByBuildId('abcdef')?.size, 1);
    assert.equal(opener.openDebugByBuildId('../../etc'), undefined);
    assert.equal(opener.openDebugLink('/usr/bin/prog', 'prog.debug')?.size, 1);
    assert.equal(opener.openDebugLink('/usr/bin/prog', '../x'), undefined);
    opener.close();
    opener.close();
    assert.equal(opener.openModule('/usr/lib/libx.so'), undefined);
  });
});
