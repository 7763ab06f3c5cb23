// Crash processing: the pure payload functions and the database job (spec/collector.md §8).
export {
  BACKTRACE_CLASSES,
  type Backtrace,
  type BacktraceFrame,
  type FrameLine,
  type FuncMod,
  findGuilty,
  parseBacktrace,
  parseFrameLine,
} from './guilty.ts';
export { guiltyIdFor, loadBlacklist, processCrashRecords } from './process.ts';
