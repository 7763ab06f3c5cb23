// Paths of the golden vectors captured from the C client (test/vectors/).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const VECTORS_DIR = fileURLToPath(new URL('../vectors/', import.meta.url));

export function vectorPath(relative: string): string {
  return fileURLToPath(new URL(`../vectors/${relative}`, import.meta.url));
}

export function readVector(relative: string): Buffer {
  return readFileSync(vectorPath(relative));
}
