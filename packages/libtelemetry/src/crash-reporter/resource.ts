// The resource fields of a crash report (the seed's CrashReportResource):
// what runs where. Read synchronously, once, at the first report: a crash
// handler on a dying process cannot wait for promises.
import { machine, release, type as osType } from 'node:os';
import { join } from 'node:path';
import { cpuModelFromCpuinfo } from '../host-facts.ts';
import { readGpus } from './gpus.ts';
import type { CrashResource } from './payload.ts';
// node:fs through getBuiltinModule, not an ES import: see config/load.ts.
const { readFileSync } = process.getBuiltinModule('node:fs');

export interface ResourceOptions {
  readonly serviceName: string;
  readonly appVersion: string;
  readonly source: string;
  /** host_root of the configuration. */
  readonly root: string;
}

function readFirst(paths: readonly string[]): string | undefined {
  for (const path of paths) {
    try {
      return readFileSync(path, 'utf8');
    } catch {}
  }
  return undefined;
}

/** KEY=value or KEY="value" of an os-release text (quotes removed). */
export function osReleaseValue(text: string | undefined, key: string): string | undefined {
  const match = new RegExp(`^${key}=(.*)$`, 'm').exec(text ?? '');
  if (!match) return undefined;
  const raw = match[1]!.trim();
  return raw.replace(/^(["'])(.*)\1$/, '$2');
}

export function readCrashResource(options: ResourceOptions): CrashResource {
  const { root } = options;
  const osRelease = readFirst([join(root, 'etc/os-release'), join(root, 'usr/lib/os-release')]);
  let cpu = 'unknown';
  try {
    cpu = cpuModelFromCpuinfo(readFileSync(join(root, 'proc/cpuinfo'), 'latin1'));
  } catch {}
  return {
    osName: osReleaseValue(osRelease, 'NAME') ?? osType(),
    osVersion: osReleaseValue(osRelease, 'VERSION_ID') ?? release(),
    architecture: machine(),
    appVersion: options.appVersion,
    'service.name': options.serviceName,
    source: options.source,
    cpu,
    gpus: readGpus(root),
  };
}
