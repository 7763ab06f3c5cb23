export * from './crash-dir.ts';
export * from './install.ts';
export * from './payload.ts';
