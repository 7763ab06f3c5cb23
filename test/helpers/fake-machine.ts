// Fake machine roots for the host-facts readers (every host read takes a root directory).
//
//   const root = writeFakeMachine(dir, CAPTURE_MACHINE);          // the vectors' capture machine
//   await readHostFacts({ root, uname: CAPTURE_MACHINE_UNAME });   // -> CAPTURE_MACHINE_FACTS
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { HostFacts } from '@telemetrics/libtelemetry';

/** Files of a fake machine: relative path -> content; a `->target` value makes a symlink. */
export type MachineFiles = Readonly<Record<string, string>>;

/** Create `root` holding `files`; returns `root`. */
export function writeFakeMachine(root: string, files: MachineFiles): string {
  mkdirSync(root, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    if (content.startsWith('->')) symlinkSync(content.slice(2), p);
    else writeFileSync(p, content, 'latin1');
  }
  return root;
}

/** The machine the C vectors were captured on (vectors README section 0): Debian 12 VM, no DMI. */
export const CAPTURE_MACHINE: MachineFiles = {
  'proc/cpuinfo': 'processor\t: 0\nmodel name\t: AMD EPYC\n',
  'usr/lib/os-release': 'VERSION_ID="12"\nID=debian\n',
  'etc/os-release': '->../usr/lib/os-release',
};

export const CAPTURE_MACHINE_UNAME = { machine: 'x86_64', release: '6.18.44-fc-v669' } as const;

/** What readHostFacts reads on CAPTURE_MACHINE with CAPTURE_MACHINE_UNAME. */
export const CAPTURE_MACHINE_FACTS: HostFacts = {
  arch: 'x86_64',
  host_type: 'no_sv_file|no_pn_file|no_pvr_file',
  build: '"12"',
  kernel_version: '6.18.44-fc-v669',
  system_name: 'debian',
  board_name: 'no_bn_file|no_bv_file',
  cpu_model: 'AMD EPYC',
  bios_version: 'no_bv_file',
};
