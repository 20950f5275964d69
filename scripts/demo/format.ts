/** Money is integer micro-units (1 USD = 1,000,000); shown in dollars with a fixed number of places. */
export function usd(micro: number, places = 4): string {
  const sign = micro < 0 ? '-' : '';
  const abs = Math.abs(micro);
  // Integer arithmetic down to the shown place, half away from zero: no float rounding surprises.
  const unit = 10 ** (6 - places);
  const scaled = Math.floor((abs + unit / 2) / unit);
  const whole = Math.floor(scaled / 10 ** places);
  const frac = String(scaled % 10 ** places).padStart(places, '0');
  return `${sign}$${whole.toLocaleString('en-US')}${places ? `.${frac}` : ''}`;
}

export const rm = (sen: number) => `RM ${(sen / 100).toFixed(2)}`;

/** A plain-text table: columns padded to their widest cell, numbers right-aligned. */
export function table(headers: string[], rows: string[][], rightAligned: Set<number>, footer: string[][] = []): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...[...rows, ...footer].map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  return [fmt(headers), rule, ...rows.map(fmt), ...(footer.length ? [rule, ...footer.map(fmt)] : [])].join('\n');
}
