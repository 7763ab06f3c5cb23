// Call frame information fixtures for the crashprobe unwinder tests (test-only: not built).
import type { Cie } from './cfi.ts';

/**
 * An x86_64 CIE as GCC writes it into .eh_frame (augmentation "zR", FDE pointers
 * pcrel|sdata4, data alignment -8, return address in column 16 = rip), with
 * `initialInstructions` as its CFA program.
 */
export function x86_64Cie(initialInstructions: Uint8Array): Cie {
  return {
    codeAlign: 1,
    dataAlign: -8,
    raColumn: 16,
    fdeEncoding: 0x1b,
    lsdaEncoding: 0xff,
    signalFrame: false,
    hasAugmentationData: true,
    initialInstructions,
    addressSize: 8,
  };
}
