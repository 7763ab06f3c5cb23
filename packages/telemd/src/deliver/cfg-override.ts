// Per-record `CFG:` override (spec 6.4, BUG-30): the override file's server,
// tidheader and cainfo apply to that record only, and only when the file is
// a regular file owned by root, so a local user cannot redirect uploads.
import type { Stats } from 'node:fs';
import * as fs from '@telemetrics/libtelemetry/internal/fs-async';
import type { Logger } from '@telemetrics/libtelemetry/log';

export interface DeliveryTarget {
  readonly server: string;
  readonly tidheader: string;
  readonly cainfo: string;
}

/** Reads a config file; main.ts passes libtelemetry's loader. */
export type LoadTarget = (path: string) => Promise<DeliveryTarget>;

export interface OverrideResolverOptions {
  readonly load: LoadTarget;
  readonly logger: Logger;
  /** Owner an override file must have; 0 (root) outside tests. */
  readonly trustedUid?: number;
  /**
   * The file the daemon's own config came from. A CFG: naming it changes nothing, so it is
   * not checked: probes run with the daemon's `-f` file (the local sandbox, a developer's
   * non-root-owned conf) would otherwise log a warning for every record.
   */
  readonly mainConfigFile?: string | undefined;
}

export type ResolveOverride = (cfgPath: string) => Promise<DeliveryTarget | undefined>;

/** Returns the override target, or undefined (logged) when the main config must be used. */
export function createOverrideResolver(options: OverrideResolverOptions): ResolveOverride {
  const trustedUid = options.trustedUid ?? 0;
  const { logger } = options;
  const cache = new Map<string, { key: string; target: DeliveryTarget }>();
  return async (cfgPath) => {
    if (cfgPath === options.mainConfigFile) return undefined;
    let st: Stats;
    try {
      st = await fs.stat(cfgPath);
    } catch (error) {
      logger.log('warning', 'CFG: override file unreadable; using the main config', {
        code: 'TELEMD_CFG_OVERRIDE',
        path: cfgPath,
        errno: (error as NodeJS.ErrnoException).code,
      });
      return undefined;
    }
    if (!st.isFile() || st.uid !== trustedUid) {
      logger.log(
        'warning',
        'CFG: override ignored: not a regular file owned by root; using the main config',
        {
          code: 'TELEMD_CFG_OVERRIDE',
          path: cfgPath,
          uid: st.uid,
        },
      );
      return undefined;
    }
    const key = `${st.ino}:${st.mtimeMs}:${st.size}`;
    const hit = cache.get(cfgPath);
    if (hit?.key === key) return hit.target;
    try {
      const target = await options.load(cfgPath);
      if (cache.size >= 32) cache.delete(cache.keys().next().value as string);
      cache.set(cfgPath, { key, target });
      return target;
    } catch (error) {
      logger.log('warning', 'CFG: override file cannot be parsed; using the main config', {
        code: 'TELEMD_CFG_OVERRIDE',
        path: cfgPath,
        error: (error as Error).message,
      });
      return undefined;
    }
  };
}
