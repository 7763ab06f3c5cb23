export * from './frame.ts';
export * from './headers.ts';
