export * from './frame.ts';
export * from './headers.ts';
export * from './spool-file.ts';
export * from './journal-entry.ts';
export * from './ack.ts';
