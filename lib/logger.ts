import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * Structured JSON logs. Redaction is a backstop: code should never put a secret or a full phone
 * number in a log line in the first place (use maskPhone).
 */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  return pino(
    {
      name,
      level,
      redact: {
        paths: [
          '*.authorization',
          '*.Authorization',
          '*.password',
          '*.token',
          '*.apiKey',
          '*.key_hash',
          'req.headers.authorization',
          'req.headers["x-twilio-signature"]',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/** "+60123456789" -> "…6789": the last four digits, as in the Temporal memo. */
export function maskPhone(e164: string | undefined | null): string {
  if (!e164) return '';
  return `…${e164.slice(-4)}`;
}
