import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assemblePayload, Classes, headerText, privacyFilter, TRUNCATED_SIZE_NOTE } from './report.ts';

describe('privacy filter (C crash_probe.c)', () => {
  const cases: Array<[string | undefined, boolean, string | undefined]> = [
    ['!usr!bin!crashme', false, undefined],
    ['/usr/bin/crashme', false, undefined],
    ['!usr!local!bin!crashme', false, 'org.clearlinux/crash/unknown'],
    ['/opt/x', false, 'org.clearlinux/crash/unknown'],
    ['!builddir!build!BUILD!pkg!x', false, 'org.clearlinux/crash/clr-build'],
    ['/builddir/build/BUILD/pkg/x', false, 'org.clearlinux/crash/clr-build'],
    ['/opt/x', true, undefined],
    [undefined, false, undefined],
  ];
  for (const [p, overridden, cls] of cases) {
    it(`${p ?? '(no -E)'}${overridden ? ' with the override file' : ''} -> ${cls ?? 'analysed'}`, () => {
      assert.equal(privacyFilter(p, overridden)?.cls.classification, cls);
    });
  }
  it("third-party payload and severities are C's", () => {
    assert.deepEqual(privacyFilter('/opt/x', false), {
      cls: Classes.unknown,
      payload: 'Crash from third party\n',
    });
    assert.equal(Classes.unknown.severity, 2);
    assert.equal(Classes.clrBuild.severity, 2);
    assert.equal(Classes.clr.severity, 3);
    assert.equal(Classes.error.severity, 4);
  });
});

describe('payload text', () => {
  it('header: -E path with ! turned into /, else the -p name; Signal only when given', () => {
    assert.equal(
      headerText({ processName: 'x', processPath: '!usr!bin!x', pid: 5, signal: 11 }),
      'Process: /usr/bin/x\nPID: 5\nSignal: 11\n',
    );
    assert.equal(
      headerText({ processName: 'crashs', processPath: undefined, pid: 1241, signal: undefined }),
      'Process: crashs\nPID: 1241\n',
    );
  });

  it('over 8192 bytes: cut at a frame boundary with a note in the header', () => {
    const lines = Array.from(
      { length: 64 },
      (_, i) => `#${i} ${'f'.repeat(100)}() - [/usr/bin/x] - /src/x.c:${i}\n`,
    );
    const threads = Array.from({ length: 3 }, (_, i) => ({ tid: 100 + i, lines }));
    const p = assemblePayload('Process: x\nPID: 1\n', [], threads);
    assert.ok(Buffer.byteLength(p) <= 8192);
    assert.ok(p.startsWith(`Process: x\nPID: 1\n${TRUNCATED_SIZE_NOTE}\nBacktrace (TID 100):\n#0 `));
    assert.ok(p.endsWith('\n'));
    for (const l of p.split('\n').filter((x) => x.startsWith('#')))
      assert.match(l, /^#\d+ f+\(\) - \[\/usr\/bin\/x\] - \/src\/x\.c:\d+$/);
  });

  it('small payloads are untouched', () => {
    assert.equal(
      assemblePayload('H\n', [], [{ tid: 1, lines: ['#0 a() - [m]\n'] }]),
      'H\n\nBacktrace (TID 1):\n#0 a() - [m]\n',
    );
  });
});
