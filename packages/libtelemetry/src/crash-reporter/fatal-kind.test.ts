// fatalKind on the call stacks Node 24 gives an 'uncaughtExceptionMonitor'
// listener (seen with node:util getCallSites; install.test.ts runs the real programs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fatalKind } from './fatal-kind.ts';

const listener = { functionName: '', scriptName: 'file:///app/main.mjs' };
const emit = { functionName: 'emit', scriptName: 'node:events' };
const fatal = { functionName: '', scriptName: 'node:internal/process/execution' };
const ENTRY_FAILED = [
  listener,
  emit,
  fatal,
  { functionName: 'asyncRunEntryPointWithESMLoader', scriptName: 'node:internal/modules/run_main' },
];
const UNHANDLED = [
  listener,
  emit,
  fatal,
  { functionName: 'throwUnhandledRejectionsMode', scriptName: 'node:internal/process/promises' },
  { functionName: 'processPromiseRejections', scriptName: 'node:internal/process/promises' },
  { functionName: 'processTicksAndRejections', scriptName: 'node:internal/process/task_queues' },
];

test('an uncaught exception is a crash', () => {
  assert.equal(fatalKind('uncaughtException', [listener, emit, fatal]), 'crash');
});

test("the entry module's evaluation failing is a crash", () => {
  assert.equal(fatalKind('unhandledRejection', ENTRY_FAILED), 'crash');
});

test('a promise nobody handled is a rejection', () => {
  assert.equal(fatalKind('unhandledRejection', UNHANDLED), 'rejection');
});

test("only Node's own run_main counts: a user function of that name is a rejection", () => {
  const lookalike = [
    ...UNHANDLED,
    { functionName: 'asyncRunEntryPointWithESMLoader', scriptName: 'file:///x.mjs' },
  ];
  assert.equal(fatalKind('unhandledRejection', lookalike), 'rejection');
  assert.equal(fatalKind('unhandledRejection', []), 'rejection');
});
