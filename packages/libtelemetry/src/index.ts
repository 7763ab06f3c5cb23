export * from './errors.ts';
export * from './wire/index.ts';
export * from './config/index.ts';
