import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

/**
 * Checks live answers against the OpenAPI document: finds the operation by method and path, the
 * response by status, and validates the body with ajv (OpenAPI 3.1 schemas are JSON Schema 2020-12).
 *
 * Stricter than the published document in one way: an object schema that does not say whether
 * more properties are allowed is closed here, so a field a route returns without documenting it
 * fails the test. (The published document stays open, so clients tolerate fields added later.)
 */
type Json = any;
const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;

function close(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(close);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema)) {
    // examples are data, not schemas
    out[k] = k === 'example' || k === 'examples' || k === 'default' ? v : close(v);
  }
  if (out.type === 'object' && out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  // refs into the document's components resolve against the schema added under the id `contract`
  if (typeof out.$ref === 'string' && out.$ref.startsWith('#/components/')) out.$ref = `contract${out.$ref}`;
  return out;
}

export interface Checked {
  operationId: string | undefined;
  errors: string[];
}

export function contractValidator(doc: Json) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'contract', components: close(doc.components) });
  const ops = Object.entries(doc.paths as Record<string, Record<string, Json>>).flatMap(([template, item]) =>
    Object.entries(item).map(([method, op]) => ({
      method: method.toUpperCase(),
      template,
      re: new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`),
      op,
    })),
  );
  const compiled = new Map<string, ValidateFunction>();

  return {
    /** The documented operation for a request, or undefined. */
    operation(method: string, path: string) {
      return ops.find((o) => o.method === method.toUpperCase() && o.re.test(path));
    },
    check(method: string, url: string, status: number, contentType: string | null, body: unknown): Checked {
      const path = new URL(url, 'http://x').pathname;
      const found = this.operation(method, path);
      if (!found) return { operationId: undefined, errors: [`${method} ${path}: not in the contract`] };
      const where = `${found.op.operationId} → ${status}`;
      const response = found.op.responses[String(status)];
      if (!response)
        return {
          operationId: found.op.operationId,
          errors: [`${where}: status not documented (body ${JSON.stringify(body).slice(0, 300)})`],
        };
      const media = response.content?.['application/json'];
      if (!media) return { operationId: found.op.operationId, errors: [] };
      if (!contentType?.startsWith('application/json'))
        return { operationId: found.op.operationId, errors: [`${where}: answered ${contentType}, documented application/json`] };
      const key = `${found.method} ${found.template} ${status}`;
      let validate = compiled.get(key);
      if (!validate) compiled.set(key, (validate = ajv.compile(close(media.schema))));
      const errors = validate(body)
        ? []
        : (validate.errors ?? []).map(
            (e) => `${where}: ${e.instancePath || '(body)'} ${e.message} ${e.params ? JSON.stringify(e.params) : ''}`,
          );
      return { operationId: found.op.operationId, errors };
    },
  };
}
