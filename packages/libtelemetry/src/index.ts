export * from './config/index.ts';
export * from './errors.ts';
export * from './host-facts.ts';
export * from './opt-in.ts';
export * from './probe.ts';
export * from './record.ts';
export * from './send.ts';
export * from './wire/index.ts';
