// One payload line per frame, in C crashprobe's frame_cb format (spec 12.2):
//   #<n> <function>() - [<module>][ - <file>:<line>]
//   #<n> ??? - [<module>][ - <file>:<line>]
//   #<n> (no symbols)
// Pure: modules answer the lookups.
import type { Frame } from './unwind.ts';
import type { SourceLine } from './dwarf/line.ts';

export interface SymbolModules {
  find(addr: number):
    | {
        readonly name: string;
        symbol(addr: number): { readonly name: string } | undefined;
        source(addr: number): SourceLine | undefined;
      }
    | undefined;
}

export type FrameLine =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly error: string };

export function frameLine(n: number, frame: Frame, modules: SymbolModules): FrameLine {
  const pc = frame.activation ? frame.pc : frame.pc - 1;
  const mod = modules.find(pc);
  // C aborts the thread's unwind with this message when a frame's pc is in no module.
  if (mod === undefined) return { ok: false, error: 'Failed to find module for current frame' };
  if (mod.name === '') return { ok: true, text: `#${n} (no symbols)\n` };
  const sym = mod.symbol(pc);
  const src = mod.source(pc);
  const where = src === undefined ? '' : ` - ${src.file}:${src.line}`;
  const fn = sym === undefined ? '???' : `${sym.name}()`;
  return { ok: true, text: `#${n} ${fn} - [${mod.name}]${where}\n` };
}
