export * from './keys.ts';
export * from './load.ts';
export * from './parse.ts';
export * from './render.ts';
export * from './types.ts';
