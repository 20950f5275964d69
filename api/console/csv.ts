/**
 * One CSV line (RFC 4180 quoting). A cell that a spreadsheet would run as a formula (=, +, -, @,
 * tab, CR at the start) is prefixed with ' so an exported transcript or name cannot execute.
 */
export function csvLine(cells: (string | number | null | undefined | Date)[]): string {
  return (
    cells
      .map((c) => {
        if (c === null || c === undefined) return '';
        let s = c instanceof Date ? c.toISOString() : String(c);
        if (typeof c === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
        return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
      })
      .join(',') + '\r\n'
  );
}
