import type { TelemRecord } from './record.ts';

export interface Pipeline {
  accept(record: TelemRecord): Promise<void>;
  close(): Promise<void>;
}
