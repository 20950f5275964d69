import type { ContactReport } from '../../../lib/contacts/normalize';
import type { Session } from '../auth/sessions';
import { Csrf, Field, Notice, Select, TextArea } from './layout';
import { credits, phone } from './format';

export type FormValues = Record<string, string | string[] | undefined>;
export type FieldErrors = Record<string, string>;

const str = (v: FormValues[string]) => (Array.isArray(v) ? v[0] : v) ?? '';
const list = (v: FormValues[string]) => (Array.isArray(v) ? v : v ? [v] : []);
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

export interface Preview {
  report: ContactReport;
  holdPerCallMicro: number;
  maxInFlight: number;
}

/**
 * The create wizard on one page (it works without JavaScript): agent, outcome labels, contacts CSV,
 * calling window, concurrency, retries, voicemail, max duration. "Preview" checks everything with
 * the API's schema and shows the first rows, the line-numbered rejects and the cost estimate; the
 * CSV text rides along in a hidden field so it need not be chosen again; "Create" makes the draft.
 */
export function CampaignForm(p: {
  session: Session;
  values: FormValues;
  errors: FieldErrors;
  preview?: Preview;
  formError?: string;
}) {
  const v = p.values;
  const e = p.errors;
  const cur = p.session.currency;
  return (
    <form method="post" action="/app/campaigns/new" enctype="multipart/form-data" novalidate>
      <Csrf session={p.session} />
      {p.formError && <Notice kind="error">{p.formError}</Notice>}
      {Object.keys(e).length > 0 && (
        <Notice kind="error">
          Please correct the {Object.keys(e).length === 1 ? 'field' : `${Object.keys(e).length} fields`} marked below.
        </Notice>
      )}
      <Field name="name" label="Campaign name" value={str(v.name)} error={e.name} required />
      <fieldset>
        <legend>Agent</legend>
        <TextArea
          name="firstMessage"
          label="First message"
          value={str(v.firstMessage)}
          error={e.firstMessage}
          rows={2}
          required
        />
        <TextArea
          name="systemPrompt"
          label="System prompt"
          value={str(v.systemPrompt)}
          error={e.systemPrompt}
          rows={5}
          required
        />
        <div class="row">
          <Field
            name="language"
            label="Language"
            value={str(v.language) || 'ms-MY'}
            error={e.language}
            hint="BCP-47, e.g. ms-MY or en-US"
          />
          <Field name="voiceId" label="Voice" value={str(v.voiceId)} error={e.voiceId} hint="ElevenLabs voice id" />
          <Field
            name="llmModel"
            label="Model"
            value={str(v.llmModel) || 'meta-llama/llama-3.1-70b-instruct'}
            error={e.llmModel}
          />
        </div>
        <Field
          name="outcomes"
          label="Outcome labels"
          value={str(v.outcomes)}
          error={e.outcomes}
          hint="Comma-separated, e.g. interested, not_interested, callback"
        />
      </fieldset>
      <fieldset>
        <legend>Contacts</legend>
        {str(v.csvText) ? (
          <>
            <input type="hidden" name="csvText" value={str(v.csvText)} />
            <p>Using the CSV from the preview ({str(v.csvName) || 'uploaded file'}). Choose a file to replace it.</p>
            <input type="hidden" name="csvName" value={str(v.csvName)} />
          </>
        ) : null}
        <div class={`field${e.csv ? ' has-error' : ''}`}>
          <label for="f-csv">CSV file</label>
          <small id="f-csv-hint">
            A header row with a phone column (name and other columns optional). Local numbers use the default region.
          </small>
          <input
            id="f-csv"
            name="csv"
            type="file"
            accept=".csv,text/csv"
            aria-describedby={e.csv ? 'f-csv-hint f-csv-err' : 'f-csv-hint'}
            aria-invalid={e.csv ? 'true' : undefined}
          />
          {e.csv && (
            <p class="error" id="f-csv-err">
              {e.csv}
            </p>
          )}
        </div>
        <Field
          name="defaultRegion"
          label="Default region"
          value={str(v.defaultRegion) || 'MY'}
          error={e.defaultRegion}
          hint="ISO country code for numbers written without +"
        />
      </fieldset>
      <fieldset>
        <legend>Calling window (optional)</legend>
        <div class="row">
          <Field name="timeZone" label="Time zone" value={str(v.timeZone)} error={e.timeZone} placeholder="Asia/Kuala_Lumpur" />
          <Field name="windowStart" label="From" type="time" value={str(v.windowStart)} error={e.windowStart} />
          <Field name="windowEnd" label="Until" type="time" value={str(v.windowEnd)} error={e.windowEnd} />
        </div>
        <div class="row" role="group" aria-label="Weekdays">
          {WEEKDAYS.map((d, i) => (
            <label>
              <input type="checkbox" name="weekdays" value={String(i + 1)} checked={list(v.weekdays).includes(String(i + 1))} />{' '}
              {d}
            </label>
          ))}
        </div>
        {e.weekdays && <p class="error">{e.weekdays}</p>}
      </fieldset>
      <fieldset>
        <legend>Calls</legend>
        <div class="row">
          <Field
            name="maxConcurrentCalls"
            label="Calls at a time"
            type="number"
            min={1}
            max={200}
            value={str(v.maxConcurrentCalls) || '5'}
            error={e.maxConcurrentCalls}
          />
          <Field
            name="maxDurationSec"
            label="Max duration (s)"
            type="number"
            min={10}
            max={3600}
            value={str(v.maxDurationSec) || '300'}
            error={e.maxDurationSec}
          />
          <Field
            name="ringTimeoutSec"
            label="Ring timeout (s)"
            type="number"
            min={5}
            max={120}
            value={str(v.ringTimeoutSec) || '30'}
            error={e.ringTimeoutSec}
          />
        </div>
        <div class="row">
          <Field
            name="maxAttempts"
            label="Attempts per number"
            type="number"
            min={1}
            max={10}
            value={str(v.maxAttempts) || '3'}
            error={e.maxAttempts}
          />
          <Field
            name="backoffSec"
            label="Wait before retrying (s)"
            type="number"
            min={1}
            value={str(v.backoffSec) || '1800'}
            error={e.backoffSec}
          />
        </div>
        <div class="row" role="group" aria-label="Retry on">
          <span>Retry on:</span>
          {['no_answer', 'busy', 'failed', 'voicemail'].map((s) => (
            <label>
              <input
                type="checkbox"
                name="retryOn"
                value={s}
                checked={v.retryOn === undefined ? s === 'no_answer' || s === 'busy' : list(v.retryOn).includes(s)}
              />{' '}
              {s.replace('_', ' ')}
            </label>
          ))}
        </div>
        <Select
          name="voicemailPolicy"
          label="Voicemail"
          value={str(v.voicemailPolicy) || 'hangup'}
          options={[
            ['hangup', 'Hang up'],
            ['leave_message', 'Leave a message'],
          ]}
          error={e.voicemailPolicy}
        />
        <TextArea
          name="voicemailMessage"
          label="Voicemail message"
          value={str(v.voicemailMessage)}
          error={e.voicemailMessage}
          rows={2}
          hint="Needed when leaving a message"
        />
      </fieldset>
      {p.preview && <PreviewView preview={p.preview} currency={cur} />}
      <div class="row">
        <button type="submit" name="action" value="preview" class="secondary">
          Preview
        </button>
        <button type="submit" name="action" value="create">
          Create campaign
        </button>
      </div>
    </form>
  );
}

function PreviewView({ preview, currency }: { preview: Preview; currency: string }) {
  const r = preview.report;
  const rejects = [
    ...r.invalid.map((x) => ({ line: x.line, phone: x.phone, why: x.reason })),
    ...r.duplicates.map((x) => ({
      line: x.line,
      phone: x.phone,
      why: x.duplicateOfLine ? `duplicate of line ${x.duplicateOfLine}` : 'already in the campaign',
    })),
  ].sort((a, b) => a.line - b.line);
  return (
    <section aria-labelledby="preview-h" id="preview">
      <h2 id="preview-h">Preview</h2>
      <p>
        <strong>{r.accepted.length}</strong> numbers accepted, <strong>{rejects.length}</strong> rejected.
      </p>
      <p>
        Cost estimate: each call holds <strong>{credits(preview.holdPerCallMicro, currency, 4)}</strong> (its maximum duration)
        while it runs; with {preview.maxInFlight} at a time up to{' '}
        <strong>{credits(preview.holdPerCallMicro * preview.maxInFlight, currency)}</strong> is held at once. Only the answered
        time is charged.
      </p>
      {r.accepted.length > 0 && (
        <>
          <h3>First rows</h3>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Line</th>
                  <th scope="col">Number</th>
                  <th scope="col">Name</th>
                  <th scope="col">Variables</th>
                </tr>
              </thead>
              <tbody>
                {r.accepted.slice(0, 10).map((a) => (
                  <tr>
                    <td>{a.line}</td>
                    <td>{phone(a.phone)}</td>
                    <td>{a.name ?? ''}</td>
                    <td>
                      {Object.entries(a.variables)
                        .map(([k, x]) => `${k}=${x}`)
                        .join(', ')}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {rejects.length > 0 && (
        <>
          <h3 id="rejects-h">Rejected rows</h3>
          <div class="table-wrap">
            <table aria-labelledby="rejects-h" id="rejects">
              <thead>
                <tr>
                  <th scope="col">Line</th>
                  <th scope="col">Number as written</th>
                  <th scope="col">Why</th>
                </tr>
              </thead>
              <tbody>
                {rejects.map((x) => (
                  <tr>
                    <td>{x.line}</td>
                    <td>{x.phone ? phone(x.phone) : '(empty)'}</td>
                    <td>{x.why}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
