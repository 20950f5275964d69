import { parsePhoneNumberWithError, ParseError, type CountryCode } from 'libphonenumber-js/max';
import { parse } from 'csv-parse/sync';

export interface ContactInput {
  /** 1-based line (CSV) or item (JSON) number, for error reports. */
  line: number;
  phone: string;
  name?: string;
  variables?: Record<string, string>;
}

export interface NormalizedContact {
  line: number;
  phone: string;
  name: string | null;
  variables: Record<string, string>;
}

export interface ContactReport {
  accepted: NormalizedContact[];
  duplicates: { line: number; phone: string; duplicateOfLine: number | null }[];
  invalid: { line: number; phone: string; reason: string }[];
}

const REASONS: Record<string, string> = {
  NOT_A_NUMBER: 'not a phone number',
  INVALID_COUNTRY: 'no country code and no default region applies',
  TOO_SHORT: 'too short',
  TOO_LONG: 'too long',
  INVALID_LENGTH: 'invalid length',
};

/**
 * Normalises numbers to E.164 (libphonenumber's full metadata, so numbers must be valid for their
 * region, not merely well-formed), removes duplicates within the batch, and reports every rejected
 * row with its line and reason — nothing is dropped silently.
 */
export function normalizeContacts(rows: ContactInput[], defaultRegion: string): ContactReport {
  const report: ContactReport = { accepted: [], duplicates: [], invalid: [] };
  const seen = new Map<string, number>();
  for (const r of rows) {
    const raw = (r.phone ?? '').trim();
    if (!raw) {
      report.invalid.push({ line: r.line, phone: raw, reason: 'phone is empty' });
      continue;
    }
    let e164: string;
    try {
      const n = parsePhoneNumberWithError(raw, defaultRegion as CountryCode);
      if (!n.isValid()) {
        report.invalid.push({ line: r.line, phone: raw, reason: `not a valid number for ${n.country ?? 'its region'}` });
        continue;
      }
      e164 = n.number;
    } catch (err) {
      const reason = err instanceof ParseError ? (REASONS[err.message] ?? err.message) : 'not a phone number';
      report.invalid.push({ line: r.line, phone: raw, reason });
      continue;
    }
    const first = seen.get(e164);
    if (first !== undefined) {
      report.duplicates.push({ line: r.line, phone: raw, duplicateOfLine: first });
      continue;
    }
    seen.set(e164, r.line);
    report.accepted.push({ line: r.line, phone: e164, name: r.name?.trim() || null, variables: r.variables ?? {} });
  }
  return report;
}

const PHONE_COLUMNS = ['phone', 'phone_number', 'number', 'mobile', 'msisdn'];

export class CsvError extends Error {}

/** The JSON upload's limit (ContactsUploadSchema) applies to CSV too. */
export const MAX_CSV_CONTACTS = 50_000;

/**
 * Contacts from CSV with a header row. The phone column is any of phone, phone_number, number,
 * mobile, msisdn; `name` is the name; every other column becomes a variable for the agent's script.
 */
export function contactsFromCsv(text: string): ContactInput[] {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(text, {
      columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
      skip_empty_lines: true,
      relax_column_count: true,
      bom: true,
      trim: true,
      info: true,
      max_record_size: 10_000,
      // one past the limit, so an oversized upload is refused without parsing all of it
      to: MAX_CSV_CONTACTS + 1,
    });
  } catch (err) {
    throw new CsvError(`CSV could not be read: ${(err as Error).message}`);
  }
  if (!records.length) return [];
  if (records.length > MAX_CSV_CONTACTS)
    throw new CsvError(`CSV has more than ${MAX_CSV_CONTACTS} contacts; split it into several uploads`);
  const cols = Object.keys(records[0]!.record);
  const phoneCol = cols.find((c) => PHONE_COLUMNS.includes(c));
  if (!phoneCol)
    throw new CsvError(`CSV needs a phone column (one of ${PHONE_COLUMNS.join(', ')}); found ${cols.join(', ') || 'none'}`);
  return records.map(({ record, info }) => {
    const variables: Record<string, string> = {};
    for (const [k, v] of Object.entries(record))
      if (k !== phoneCol && k !== 'name' && v !== undefined && v !== '') variables[k] = String(v);
    return { line: info.lines, phone: String(record[phoneCol] ?? ''), name: record.name, variables };
  });
}
