// Python's str.splitlines() (spec/collector.md §8.3 step 1): LF, CR LF, CR, VT, FF, FS, GS,
// RS, NEL, LS and PS end a line; a final line terminator gives no empty last line. [pure]
const LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

export function pySplitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(LINE_BREAK);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}
