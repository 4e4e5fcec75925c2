/** Columns padded to their widest cell, two spaces apart; `right`: the columns aligned right (numbers). The last column is not padded unless right-aligned. */
export function textTable(head: readonly string[], cells: readonly (readonly string[])[], right: ReadonlySet<number> = new Set()): string {
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  return [head, ...cells].map((c) => c.map((s, i) => (right.has(i) ? s.padStart(w[i]!) : i < c.length - 1 ? s.padEnd(w[i]!) : s)).join('  ')).join('\n');
}
