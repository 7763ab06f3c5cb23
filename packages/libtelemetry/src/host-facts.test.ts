import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  CAPTURE_MACHINE,
  CAPTURE_MACHINE_FACTS,
  CAPTURE_MACHINE_UNAME,
  type MachineFiles,
  writeFakeMachine,
} from '../../../test/helpers/fake-machine.ts';
import { ErrorCodes, TelemetryError } from './errors.ts';
import {
  buildFromOsRelease,
  cpuModelFromCpuinfo,
  dmiValue,
  fgetsChunks,
  readHostFacts,
  systemNameFromOsRelease,
} from './host-facts.ts';

const base = mkdtempSync(join(tmpdir(), 'telem-'));
after(() => rmSync(base, { recursive: true, force: true }));
let machines = 0;
const UNAME = CAPTURE_MACHINE_UNAME;
const fakeMachine = (files: MachineFiles): string => writeFakeMachine(join(base, `m${machines++}`), files);

const DEBIAN_CPU = 'processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\nflags\t\t: fpu\n';

test('the vectors machine: no DMI, symlinked /etc/os-release, quoted VERSION_ID', async () => {
  const root = fakeMachine({
    'proc/cpuinfo': DEBIAN_CPU,
    'usr/lib/os-release': 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_ID="12"\nID=debian\n',
    'etc/os-release': '->../usr/lib/os-release',
  });
  assert.deepEqual(await readHostFacts({ root, uname: UNAME }), CAPTURE_MACHINE_FACTS);
  // The shared fixture (record and probe tests) is the same machine.
  assert.deepEqual(
    await readHostFacts({ root: fakeMachine(CAPTURE_MACHINE), uname: UNAME }),
    CAPTURE_MACHINE_FACTS,
  );
});

test('a symlinked /etc/os-release is skipped for /usr/lib/os-release (O_NOFOLLOW)', async () => {
  const root = fakeMachine({
    'proc/cpuinfo': DEBIAN_CPU,
    'elsewhere/os-release': 'ID=followed\nVERSION_ID=1\n',
    'etc/os-release': '->../elsewhere/os-release',
    'usr/lib/os-release': 'ID=dist\nVERSION_ID=2\n',
  });
  const facts = await readHostFacts({ root, uname: UNAME });
  assert.equal(facts.system_name, 'dist');
  assert.equal(facts.build, '2');
});

test('a regular /etc/os-release wins; VARIANT_ID is appended', async () => {
  const root = fakeMachine({
    'proc/cpuinfo': DEBIAN_CPU,
    'etc/os-release': 'NAME="Clear Linux OS"\nVERSION_ID=41000\nID=clear-linux-os\nVARIANT_ID=desktop\n',
    'usr/lib/os-release': 'ID=dist\n',
  });
  const facts = await readHostFacts({ root, uname: UNAME });
  assert.equal(facts.system_name, 'clear-linux-os_desktop');
  assert.equal(facts.build, '41000');
});

test('no os-release at all: build 0, system_name unknown (C: empty, BUG-38)', async () => {
  const facts = await readHostFacts({ root: fakeMachine({ 'proc/cpuinfo': DEBIAN_CPU }), uname: UNAME });
  assert.equal(facts.build, '0');
  assert.equal(facts.system_name, 'unknown');
});

test('DMI values: present, missing, blank, all-space, tab, long, no newline', async () => {
  const long = 'L'.repeat(100);
  const root = fakeMachine({
    'proc/cpuinfo': DEBIAN_CPU,
    'sys/class/dmi/id/sys_vendor': 'QEMU\n',
    'sys/class/dmi/id/product_name': 'Standard PC (Q35 + ICH9, 2009)\n',
    'sys/class/dmi/id/product_version': '\n',
    'sys/class/dmi/id/board_name': '    \n',
    'sys/class/dmi/id/board_vendor': '\t\n',
    'sys/class/dmi/id/bios_version': `${long}\n`,
  });
  const facts = await readHostFacts({ root, uname: UNAME });
  assert.equal(facts.host_type, 'QEMU|Standard PC (Q35 + ICH9, 2009)|blank');
  assert.equal(facts.board_name, 'blank|\t', 'tabs are not spaces');
  assert.equal(facts.bios_version, 'L'.repeat(77), '78 bytes read, the last one dropped');
});

test('dmiValue follows fgets(79) and the unconditional last-char removal', () => {
  assert.equal(dmiValue(null, 'pvr'), 'no_pvr_file');
  assert.equal(dmiValue('', 'sv'), 'blank');
  assert.equal(dmiValue('\n', 'sv'), 'blank');
  assert.equal(dmiValue('   \n', 'sv'), 'blank');
  assert.equal(dmiValue(' x \n', 'sv'), ' x ');
  assert.equal(dmiValue('abc', 'sv'), 'ab', 'no newline: a real character is lost');
  assert.equal(dmiValue('first\nsecond\n', 'sv'), 'first');
  assert.equal(dmiValue('a\0b\n', 'sv'), 'blank');
});

test('an empty DMI file is blank; a missing bios_version is no_bv_file (C key quirk)', async () => {
  const root = fakeMachine({ 'proc/cpuinfo': DEBIAN_CPU, 'sys/class/dmi/id/sys_vendor': '' });
  const facts = await readHostFacts({ root, uname: UNAME });
  assert.equal(facts.host_type, 'blank|no_pn_file|no_pvr_file');
  assert.equal(facts.bios_version, 'no_bv_file');
});

test('cpu_model: first model name, fgets(80) chunks, blank when absent or empty', () => {
  assert.equal(cpuModelFromCpuinfo(DEBIAN_CPU), 'AMD EPYC');
  assert.equal(cpuModelFromCpuinfo('processor\t: 0\nCPU implementer\t: 0x41\n'), 'blank');
  assert.equal(cpuModelFromCpuinfo(''), 'blank');
  // C sends an empty value here (BUG-16), which crashed telempostd.
  assert.equal(cpuModelFromCpuinfo('model name\t: \n'), 'blank');
  assert.equal(cpuModelFromCpuinfo('model name:\n'), 'blank');
  assert.equal(cpuModelFromCpuinfo('model name\n'), 'blank');
  assert.equal(cpuModelFromCpuinfo('model name\t: A\nmodel name\t: B\n'), 'A');
  const longName = 'N'.repeat(100);
  // 79-byte chunk: "model name\t: " (13) + 66 N; the last one is dropped.
  assert.equal(cpuModelFromCpuinfo(`model name\t: ${longName}\n`), 'N'.repeat(65));
});

test('os-release keys: line-anchored, first whitespace-free token, quotes kept', () => {
  assert.equal(buildFromOsRelease('VERSION_ID="12"\n'), '"12"');
  assert.equal(buildFromOsRelease('VERSION_ID=1 2\n'), '1');
  assert.equal(buildFromOsRelease('VERSION_ID=\nVERSION_ID=7\n'), '7');
  assert.equal(buildFromOsRelease(' VERSION_ID=3\n'), '0');
  assert.equal(buildFromOsRelease('ID=x\n'), '0');
  assert.equal(buildFromOsRelease(null), '0');
  assert.equal(systemNameFromOsRelease('VERSION_ID=1\nID="fedora"\n'), '"fedora"');
  assert.equal(systemNameFromOsRelease('NAME=x\n'), 'unknown');
  assert.equal(systemNameFromOsRelease('VARIANT_ID=v\n'), 'unknown_v');
  assert.equal(systemNameFromOsRelease(`ID=${'i'.repeat(60)}\nVARIANT_ID=${'v'.repeat(60)}\n`).length, 79);
});

test('fgetsChunks splits like repeated fgets calls', () => {
  assert.deepEqual(fgetsChunks('abcdef\ngh', 4), ['abc', 'def', '\n', 'gh']);
  assert.deepEqual(fgetsChunks('', 80), []);
});

test('uname defaults to os.machine()/os.release(); empty values read unknown', async () => {
  const root = fakeMachine({ 'proc/cpuinfo': DEBIAN_CPU });
  const facts = await readHostFacts({ root });
  assert.ok(facts.arch.length > 0 && facts.kernel_version.length > 0);
  const empty = await readHostFacts({ root, uname: { machine: '', release: '' } });
  assert.equal(empty.arch, 'unknown');
  assert.equal(empty.kernel_version, 'unknown');
});

test('no /proc/cpuinfo is TELEM_HOST_FACTS (C: tm_create_record returns -1, BUG-41)', async () => {
  await assert.rejects(
    readHostFacts({ root: fakeMachine({}), uname: UNAME }),
    (err: unknown) => err instanceof TelemetryError && err.code === ErrorCodes.TELEM_HOST_FACTS,
  );
});
