import fc from 'fast-check';
import {
  deepJson,
  headerSafe,
  nastyNumber,
  nastyString,
  nastyValue,
  percentEncode,
  RAW_URL_PIECES,
} from './payloads.js';

/** The part of JSON Schema the OpenAPI document of this API uses. */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

export interface Parameter {
  in: 'path' | 'query' | 'header' | 'cookie';
  name: string;
  required?: boolean;
  schema?: JsonSchema;
}

export interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  /** The JSON body's schema, when the operation takes one. */
  jsonBody?: JsonSchema;
}

export interface OpenApiDoc {
  paths: Record<
    string,
    Record<string, { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: JsonSchema }> } }>
  >;
  components?: { schemas?: Record<string, JsonSchema> };
}

export function operationsIn(doc: OpenApiDoc): Operation[] {
  const methods = ['get', 'post', 'put', 'patch', 'delete'];
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([m]) => methods.includes(m))
      .map(([m, op]) => ({
        method: m.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        jsonBody: op.requestBody?.content['application/json']?.schema,
      })),
  );
}

/** One request as sent: the URL pieces already encoded, so invalid encodings can be sent too. */
export interface FuzzRequest {
  method: string;
  /** Path and query, percent-encoded. */
  url: string;
  headers: Record<string, string>;
  body?: { contentType?: string; data: string | Uint8Array };
  /** How the caller's token is presented: as is, damaged, or not at all. */
  auth: 'token' | 'damaged' | 'none';
  damagedAuth?: string;
}

/** Real ids of things that exist, by the kind a path parameter names, so calls get past 404. */
export type IdPools = (path: string, param: string) => string[];

const OMIT = Symbol('omit');

export class RequestArbitraries {
  constructor(
    private readonly doc: OpenApiDoc,
    private readonly ids: IdPools,
    private readonly allIds: string[],
  ) {}

  private resolve(schema: JsonSchema): JsonSchema {
    let s = schema;
    for (let i = 0; s.$ref && i < 10; i++) {
      const name = s.$ref.replace('#/components/schemas/', '');
      s = this.doc.components?.schemas?.[name] ?? {};
    }
    return s;
  }

  /** A value the schema accepts (mostly: patterns and cross-field rules are not modelled). */
  plausible(schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
    const s = this.resolve(schema);
    const alternatives = s.anyOf ?? s.oneOf;
    if (alternatives?.length) return fc.oneof(...alternatives.map((a) => this.plausible(a, depth + 1)));
    if (s.allOf?.length) return this.plausible(s.allOf[0]!, depth + 1);
    if (s.enum?.length) return fc.constantFrom(...s.enum);
    if (s.const !== undefined) return fc.constant(s.const);
    const type = Array.isArray(s.type) ? s.type[0] : s.type;
    switch (type) {
      case 'string':
        return this.plausibleString(s);
      case 'integer': {
        const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -10);
        const max = Math.max(min, Math.min(s.maximum ?? min + 1000, min + 1_000_000));
        return fc.oneof(fc.integer({ min, max }), fc.constantFrom(min, max));
      }
      case 'number': {
        const min = s.minimum ?? s.exclusiveMinimum ?? -10;
        const max = Math.max(min, s.maximum ?? s.exclusiveMaximum ?? min + 1000);
        return fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
      }
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      case 'array':
        return depth > 4
          ? fc.constant([])
          : fc.array(this.plausible(s.items ?? {}, depth + 1), {
              minLength: s.minItems ?? 0,
              maxLength: Math.max(s.minItems ?? 0, Math.min(s.maxItems ?? 3, 4)),
            });
      case 'object':
        return this.object(s, depth, (p) => this.plausible(p, depth + 1), false);
      default:
        return fc.jsonValue({ maxDepth: 1 });
    }
  }

  private plausibleString(s: JsonSchema): fc.Arbitrary<string> {
    if (s.format === 'uuid') {
      return this.allIds.length ? fc.oneof(fc.constantFrom(...this.allIds), fc.uuid()) : fc.uuid();
    }
    if (s.format === 'email') return fc.nat().map((n) => `fuzz-${n}@example.com`);
    if (s.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
    if (s.format === 'date') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
    if (s.pattern) {
      try {
        return fc.stringMatching(new RegExp(s.pattern)).filter((v) => v.length <= (s.maxLength ?? 200));
      } catch {
        // A pattern fast-check cannot invert: plain strings of the right length do.
      }
    }
    const minLength = s.minLength ?? 0;
    return fc.oneof(
      fc.string({ minLength, maxLength: Math.max(minLength, Math.min(s.maxLength ?? 24, 40)) }),
      // The boundaries themselves.
      fc.constantFrom(
        'a'.repeat(minLength),
        'a'.repeat(s.maxLength ?? minLength),
        '가'.repeat(s.maxLength ?? minLength),
        '😀'.repeat(Math.floor((s.maxLength ?? minLength) / 2)),
      ),
    );
  }

  private object(
    s: JsonSchema,
    depth: number,
    field: (schema: JsonSchema) => fc.Arbitrary<unknown>,
    mutate: boolean,
  ): fc.Arbitrary<Record<string, unknown>> {
    const required = new Set(s.required ?? []);
    const entries = Object.entries(s.properties ?? {}).map(([key, schema]) => {
      const value = field(schema);
      const arb: fc.Arbitrary<unknown> = mutate
        ? fc.oneof(
            { weight: 6, arbitrary: value },
            { weight: 2, arbitrary: nastyValue },
            { weight: 1, arbitrary: fc.constant(OMIT) },
          )
        : required.has(key)
          ? value
          : fc.oneof({ weight: 2, arbitrary: value }, { weight: 1, arbitrary: fc.constant(OMIT) });
      return [key, arb] as const;
    });
    const extra = mutate
      ? fc.oneof(
          { weight: 4, arbitrary: fc.constant({}) },
          {
            weight: 1,
            arbitrary: fc.dictionary(
              fc.oneof(nastyString, fc.constantFrom('__proto__', 'id', 'role', 'userId')),
              nastyValue,
              { maxKeys: 3 },
            ),
          },
        )
      : fc.constant({});
    return fc.tuple(fc.tuple(...entries.map(([, a]) => a)), extra).map(([values, more]) => {
      const out: Record<string, unknown> = { ...(more as Record<string, unknown>) };
      entries.forEach(([key], i) => {
        if (values[i] !== OMIT) out[key] = values[i];
      });
      return out;
    });
  }

  /** A value the schema mostly accepts, with fields of the wrong type, missing, or extra, at any depth. */
  fuzzed(schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
    const s = this.resolve(schema);
    const type = Array.isArray(s.type) ? s.type[0] : s.type;
    if (type === 'object' && depth < 4) return this.object(s, depth, (p) => this.fuzzed(p, depth + 1), true);
    if (type === 'array' && depth < 4) {
      return fc.oneof(
        { weight: 4, arbitrary: fc.array(this.fuzzed(s.items ?? {}, depth + 1), { maxLength: 5 }) },
        // Past maxItems: a long list of good items.
        {
          weight: 1,
          arbitrary: this.plausible(s.items ?? {}, depth + 1).map((v) => Array.from({ length: 1001 }, () => v)),
        },
      );
    }
    return fc.oneof({ weight: 3, arbitrary: this.plausible(s, depth) }, { weight: 2, arbitrary: nastyValue });
  }

  private pathValue(op: Operation, p: Parameter): fc.Arbitrary<string> {
    const real = this.ids(op.path, p.name);
    return fc.oneof(
      {
        weight: real.length ? 6 : 0,
        arbitrary: real.length ? fc.constantFrom(...real).map(percentEncode) : fc.constant('x'),
      },
      { weight: 2, arbitrary: fc.uuid() },
      { weight: 3, arbitrary: nastyString.filter((v) => v.length <= 300).map(percentEncode) },
      { weight: 1, arbitrary: fc.constantFrom(...RAW_URL_PIECES) },
    );
  }

  private queryValue(p: Parameter): fc.Arbitrary<string> {
    return fc.oneof(
      { weight: 3, arbitrary: this.plausible(p.schema ?? {}).map((v) => percentEncode(String(v))) },
      { weight: 3, arbitrary: nastyString.map(percentEncode) },
      { weight: 2, arbitrary: nastyNumber.map((n) => percentEncode(String(n))) },
      { weight: 1, arbitrary: fc.constantFrom(...RAW_URL_PIECES) },
    );
  }

  private query(op: Operation): fc.Arbitrary<string> {
    const declared = op.parameters.filter((p) => p.in === 'query');
    const parts = declared.map((p) =>
      fc.oneof(
        { weight: 2, arbitrary: fc.constant<string[]>([]) },
        { weight: 5, arbitrary: this.queryValue(p).map((v) => [`${p.name}=${v}`]) },
        // The same parameter twice: some parsers make an array of it.
        {
          weight: 1,
          arbitrary: fc
            .tuple(this.queryValue(p), this.queryValue(p))
            .map(([a, b]) => [`${p.name}=${a}`, `${p.name}=${b}`]),
        },
        { weight: 1, arbitrary: fc.constant([`${p.name}[]=1`, `${p.name}[a]=2`]) },
      ),
    );
    const extra = fc.oneof(
      { weight: 4, arbitrary: fc.constant<string[]>([]) },
      {
        weight: 1,
        arbitrary: fc.array(
          fc.tuple(nastyString, nastyString).map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`),
          { maxLength: 3 },
        ),
      },
      { weight: 1, arbitrary: fc.constantFrom(['__proto__[role]=admin'], ['&&&'], ['=' + 'x'.repeat(5000)]) },
    );
    return fc.tuple(fc.tuple(...parts), extra).map(([declaredParts, more]) => {
      const all = [...declaredParts.flat(), ...more];
      return all.length ? `?${all.join('&')}` : '';
    });
  }

  private headers(op: Operation): fc.Arbitrary<Record<string, string>> {
    // Node's client refuses what no server could receive (CR, LF, NUL); up to 8 KB stays under
    // the server's header limit, which a case of its own exceeds.
    const headerValue = fc
      .oneof(
        { weight: 6, arbitrary: nastyString },
        {
          weight: 3,
          arbitrary: fc.string({
            unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)),
            maxLength: 60,
          }),
        },
        { weight: 1, arbitrary: fc.constant('x'.repeat(6000)) },
      )
      .filter((v) => headerSafe(v) && v.length <= 8192);
    const declared = op.parameters.filter((p) => p.in === 'header');
    const declaredArbs = declared.map((p) =>
      fc.oneof(
        fc.constant(undefined),
        this.plausible(p.schema ?? {})
          .map(String)
          .filter(headerSafe),
        headerValue,
      ),
    );
    const extraNames = [
      'x-request-id',
      'accept',
      'accept-language',
      'if-none-match',
      'range',
      'cookie',
      'x-csrf-token',
      'origin',
      'x-forwarded-for',
    ];
    return fc
      .tuple(
        fc.tuple(...declaredArbs),
        fc
          .subarray(extraNames, { maxLength: 3 })
          .chain((names) => fc.tuple(...names.map((n) => headerValue.map((v) => [n, v] as const)))),
      )
      .map(([values, extra]) => {
        const out: Record<string, string> = {};
        declared.forEach((p, i) => {
          const v = values[i];
          if (typeof v === 'string') out[p.name] = v;
        });
        for (const [n, v] of extra) out[n] = v;
        return out;
      });
  }

  private body(op: Operation): fc.Arbitrary<FuzzRequest['body']> {
    if (op.method === 'GET') return fc.constant(undefined);
    const json =
      (contentType = 'application/json') =>
      (v: unknown) => ({ contentType, data: JSON.stringify(v) ?? 'null' });
    const garbage = fc.constantFrom<NonNullable<FuzzRequest['body']>>(
      { contentType: 'application/json', data: '' },
      { contentType: 'application/json', data: '{' },
      { contentType: 'application/json', data: "{'a':1}" },
      { contentType: 'application/json', data: '{"a":1e400}' },
      { contentType: 'application/json', data: '1e400' },
      { contentType: 'application/json', data: '{"a":1}{"b":2}' },
      { contentType: 'application/json', data: '"\\u0000"' },
      { contentType: 'application/json', data: '{"__proto__":{"role":"admin"},"constructor":{"prototype":{"x":1}}}' },
      {
        contentType: 'application/json',
        data: new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0xaf, 0x22, 0x7d]),
      },
      { contentType: 'application/json; charset=utf-16', data: '{"a":1}' },
      { contentType: 'application/json; charset=latin1', data: '{"a":1}' },
      { contentType: 'text/plain', data: '{"a":1}' },
      { contentType: 'application/x-www-form-urlencoded', data: 'a=1&b=2' },
      {
        contentType: 'multipart/form-data; boundary=x',
        data: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n',
      },
      {
        contentType: 'application/xml',
        data: '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b SYSTEM "file:///etc/passwd">]><a>&b;</a>',
      },
      { contentType: '', data: '{}' },
      { contentType: 'application/json', data: '[]' },
      { contentType: 'application/json', data: 'null' },
    );
    const deep = fc
      .tuple(
        fc.oneof(
          { weight: 4, arbitrary: fc.integer({ min: 64, max: 20_000 }) },
          { weight: 1, arbitrary: fc.constant(150_000) },
        ),
        fc.constantFrom<'array' | 'object'>('array', 'object'),
      )
      .map(([n, kind]) => ({ contentType: 'application/json', data: deepJson(n, kind) }));
    const raw = fc
      .tuple(
        fc.constantFrom(
          'image/jpeg',
          'image/png',
          'image/webp',
          'text/plain',
          'application/octet-stream',
          'video/mp4',
          'application/pdf',
        ),
        fc.constantFrom(
          new Uint8Array([]),
          new Uint8Array([0xff, 0xd8, 0xff, 0xe0]),
          new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
          new Uint8Array([0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50]),
        ),
        fc.uint8Array({ maxLength: 2048 }),
      )
      .map(([contentType, magic, rest]) => ({ contentType, data: new Uint8Array([...magic, ...rest]) }));
    const huge = (extra: number) =>
      fc.constantFrom('a', '가', '\u0000').map((c) => ({
        contentType: 'application/json',
        data: JSON.stringify({
          [Object.keys(this.resolve(op.jsonBody ?? {}).properties ?? { x: 0 })[0] ?? 'x']: c.repeat(
            Math.floor((1024 * 1024 + extra - 40) / Buffer.byteLength(JSON.stringify(c))),
          ),
        }),
      }));
    // Weights out of about 60: a megabyte body costs the server a thousand small ones, so it is rare.
    const common = [
      { weight: 3, arbitrary: fc.constant(undefined) },
      { weight: 6, arbitrary: garbage },
      { weight: 2, arbitrary: deep },
      { weight: 3, arbitrary: nastyValue.map(json()) },
      { weight: 1, arbitrary: fc.oneof(huge(-200), huge(200)) },
    ];
    if (op.jsonBody) {
      const schema = op.jsonBody;
      return fc.oneof(
        { weight: 12, arbitrary: this.plausible(schema).map(json()) },
        { weight: 30, arbitrary: this.fuzzed(schema).map(json()) },
        { weight: 3, arbitrary: this.plausible(schema).map(json('text/plain')) },
        ...common,
      );
    }
    return fc.oneof({ weight: 18, arbitrary: fc.constant(undefined) }, { weight: 9, arbitrary: raw }, ...common);
  }

  private auth(): fc.Arbitrary<Pick<FuzzRequest, 'auth' | 'damagedAuth'>> {
    return fc.oneof(
      { weight: 20, arbitrary: fc.constant({ auth: 'token' as const }) },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom(
            'Bearer',
            'Bearer ',
            'Basic YWRtaW46YWRtaW4=',
            'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4Iiwicm9sZSI6ImFkbWluIn0.',
            "Bearer ' OR 1=1 --",
            `Bearer ${'a'.repeat(4000)}`,
            // Past Node's 16 KB header limit: answered before Fastify sees the request.
            `Bearer ${'a'.repeat(20_000)}`,
            'bearer a.b.c',
          )
          .map((damagedAuth) => ({ auth: 'damaged' as const, damagedAuth })),
      },
    );
  }

  request(op: Operation): fc.Arbitrary<FuzzRequest> {
    const pathParams = op.parameters.filter((p) => p.in === 'path');
    return fc
      .record({
        params: fc.tuple(...pathParams.map((p) => this.pathValue(op, p))),
        query: this.query(op),
        headers: this.headers(op),
        body: this.body(op),
        auth: this.auth(),
      })
      .map(({ params, query, headers, body, auth }) => {
        let path = op.path;
        pathParams.forEach((p, i) => {
          path = path.replace(`{${p.name}}`, params[i]!);
        });
        return { method: op.method, url: path + query, headers, body, ...auth };
      });
  }
}
