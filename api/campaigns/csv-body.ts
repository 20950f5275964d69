import type { RequestHandler } from 'express';
import { TextDecoder } from 'node:util';
import { HttpError } from '../errors';

/**
 * Content types read as CSV text. Browsers label a .csv file by the operating system's file
 * associations: `application/vnd.ms-excel` where Excel is installed (Windows), sometimes
 * `application/octet-stream` or `text/plain`. Refusing those would fail an ordinary file upload for
 * reasons the user cannot see or fix, and the CSV reader checks the content anyway (a header row
 * with a phone column), so they are read as CSV; what is really a spreadsheet is named as such.
 */
export const CSV_TYPES = ['text/csv', 'text/plain', 'application/csv', 'text/comma-separated-values', 'application/vnd.ms-excel'];

/** Everything the contacts upload reads as CSV bytes (then decoded by csvBody). */
export const CSV_BODY_TYPES = [...CSV_TYPES, 'application/octet-stream'];

// .xlsx (a ZIP archive) and .xls (an OLE2 compound file) start with these bytes
const WORKBOOK_MAGIC = [Buffer.from('504b0304', 'hex'), Buffer.from('d0cf11e0a1b11ae1', 'hex')];

/**
 * Decodes a CSV upload (a Buffer from express.raw) as text in the charset it names (UTF-8 when it
 * names none), refusing a spreadsheet, or bytes that are not text in that charset, with a message
 * that says what to send instead. A JSON body passes through untouched.
 */
export const csvBody: RequestHandler = (req, _res, next) => {
  const body: unknown = req.body;
  if (!Buffer.isBuffer(body)) return next();
  if (WORKBOOK_MAGIC.some((m) => body.subarray(0, m.length).equals(m))) {
    return next(
      new HttpError(
        415,
        'unsupported_media_type',
        'this is an Excel workbook, not CSV: save it as CSV (UTF-8) and send it as text/csv',
      ),
    );
  }
  const charset = /;\s*charset="?([\w.:-]+)"?/i.exec(req.get('content-type') ?? '')?.[1] ?? 'utf-8';
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset, { fatal: true });
  } catch {
    return next(new HttpError(415, 'unsupported_media_type', `unknown charset ${charset}: send the CSV as UTF-8`));
  }
  try {
    req.body = decoder.decode(body);
  } catch {
    return next(new HttpError(400, 'bad_csv', `the file is not ${charset} text: save it as CSV (UTF-8) and send it as text/csv`));
  }
  next();
};
