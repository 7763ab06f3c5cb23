// What a test does when this machine lacks a tool it needs: on a developer's
// machine it skips and says what to install; in CI (CI=true, set by .ci/run)
// it fails, because .ci/run installs every tool and a skip there would hide a
// broken install or a broken build.
//
//   if (lacks(t, missingReason)) return;     // missingReason: string | undefined | false
import assert from 'node:assert/strict';

export const inCI = process.env['CI'] === 'true' || process.env['CI'] === '1';

export function lacks(
  t: { skip(message?: string): void },
  missing: string | undefined | false | null,
): boolean {
  if (!missing) return false;
  if (inCI) assert.fail(`${missing} (CI=true: a missing tool fails the test instead of skipping it)`);
  t.skip(missing);
  return true;
}

/** For `describe(name, { skip: skipOutsideCI(reason) })`: in CI the tests run, and fail. */
export function skipOutsideCI(missing: string | undefined | false): string | false {
  return !missing || inCI ? false : missing;
}
