export * from '../wire/journal-entry.ts';
export * from './journal.ts';
export * from './read-journal.ts';
export * from './retention.ts';
