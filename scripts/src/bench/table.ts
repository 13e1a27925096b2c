/** A plain text table: the header row, then rows, columns padded; numbers right-aligned. */
export function table(title: string, header: string[], rows: (string | number | null)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === null ? '-' : typeof c === 'number' ? c.toLocaleString('en-US') : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.every((r) => typeof r[i] === 'number' || r[i] === null));
  const line = (r: (string | number | null)[]) =>
    r.map((c, i) => (numeric[i] ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!))).join('  ');
  return [`\n${title}`, line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** `{ redis: 0.93, sender: 1.01 }` -> `redis 93% sender 101%` */
export function cpuText(cpu: Record<string, number>): string {
  return Object.entries(cpu)
    .map(([name, share]) => `${name} ${Math.round(share * 100)}%`)
    .join(' ');
}

/** `{ redis: 3.2, sender: 40 }` -> `redis 3.2 sender 40` (CPU microseconds per unit). */
export function usText(us: Record<string, number>): string {
  return Object.entries(us)
    .map(([name, value]) => `${name} ${value}`)
    .join(' ');
}
