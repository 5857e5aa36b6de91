/**
 * Generates docs/configuration.md from the zod schema in src/core/config.ts, the one source of
 * truth: every key with its dotted path, type, constraints, default, `start` flag and
 * `.describe()` text; the nested objects as sections; an example YAML file with every key at its
 * default.
 *
 *   node scripts/gen-config-doc.ts           writes docs/configuration.md
 *   node scripts/gen-config-doc.ts --check   exits 1 if docs/configuration.md is out of date
 *
 * It walks zod v4 schema definitions (`schema._zod.def`): object, default, prefault, optional,
 * nullable, string, number, boolean, enum, union; a record of objects (`streams.<name>`) and a list
 * of objects (`routes.<index>`) become sections of their value shape, lists of scalars a `list of` type. A key without a description, or a schema kind it does
 * not know, is an error, so the reference can't silently lose a field.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { type z, globalRegistry } from 'zod';
import { configSchema } from '../src/core/config.ts';
import { START_FLAGS } from '../src/cli/config-file.ts';

export const DOC_PATH = path.resolve(import.meta.dirname, '..', 'docs', 'configuration.md');

type Schema = z.core.$ZodType;

/** One leaf key of the configuration. */
export interface ConfigKey {
  /** Dotted path, e.g. `http.listen`. */
  path: string;
  /** Base type in words: string, integer, number, boolean, or `one of: a, b`. */
  type: string;
  /** Checks in words: `>= 1`, `<= 256`, `HOST:PORT`... */
  constraints: string[];
  nullable: boolean;
  /** The default value, or undefined when the key has none (it is optional). */
  default: unknown;
  hasDefault: boolean;
  description: string;
}

/** A nested object of the configuration (the root has path ''). */
export interface ConfigSection {
  path: string;
  description: string;
  /** The value shape of a map (`streams.<name>`) or list (`routes.<index>`): commented out in the example. */
  template?: 'map' | 'list';
  /** A nullable object that is null by default (off): its keys are commented out in the example. */
  offByDefault?: boolean;
  keys: ConfigKey[];
  sections: ConfigSection[];
}

function describeOf(s: Schema): string | undefined {
  return globalRegistry.get(s)?.description;
}

function fail(where: string, what: string): never {
  throw new Error(`gen-config-doc: ${where || '(root)'}: ${what}`);
}

/** Strips wrappers (default, prefault, optional, nullable) and collects what they say. */
function unwrap(s: Schema, where: string) {
  let description = describeOf(s);
  let nullable = false;
  let hasDefault = false;
  let dflt: unknown;
  let optional = false;
  for (;;) {
    const def = s._zod.def;
    if (def.type === 'default') {
      const d = def as z.core.$ZodDefaultDef;
      hasDefault = true;
      dflt = d.defaultValue;
      s = d.innerType;
    } else if (def.type === 'prefault') {
      s = (def as z.core.$ZodPrefaultDef).innerType;
    } else if (def.type === 'optional') {
      optional = true;
      s = (def as z.core.$ZodOptionalDef).innerType;
    } else if (def.type === 'nullable') {
      nullable = true;
      s = (def as z.core.$ZodNullableDef).innerType;
    } else break;
    description ??= describeOf(s);
  }
  if (!description && where) fail(where, 'no .describe() text; every config key needs one');
  return { inner: s, description: description ?? '', nullable, hasDefault, default: dflt, optional };
}

/** The custom message of a check (`.regex(re, 'message')`, `.refine(fn, 'message')`). */
function messageOf(c: z.core.$ZodCheckDef): string | undefined {
  const msg = typeof c.error === 'function' ? c.error({} as never) : undefined;
  return typeof msg === 'string' ? msg : typeof msg === 'object' && msg ? msg.message : undefined;
}

function checksOf(s: Schema, where: string): { type: string; constraints: string[] } {
  const def = s._zod.def;
  const checks = (def.checks ?? []).map((c) => c._zod.def);
  const constraints: string[] = [];
  let type: string = def.type;
  if (def.type === 'enum') {
    const values = Object.values((def as z.core.$ZodEnumDef).entries);
    return { type: `one of: ${values.join(', ')}`, constraints };
  }
  if (def.type === 'union') {
    const types = (def as z.core.$ZodUnionDef).options.map((o) => {
      const inner = unwrap(o, '').inner;
      return inner._zod.def.type === 'object' ? 'object' : checksOf(inner, where).type;
    });
    return { type: types.join(' or '), constraints };
  }
  if (def.type === 'literal') {
    const values = (def as z.core.$ZodLiteralDef<z.core.util.Literal>).values;
    return { type: values.map((v) => JSON.stringify(v)).join(' or '), constraints };
  }
  if (def.type === 'record') {
    const v = unwrap((def as z.core.$ZodRecordDef).valueType, '').inner;
    return { type: `map of name to ${checksOf(v, where).type}`, constraints };
  }
  if (def.type === 'array') {
    return {
      type: `list of ${checksOf(unwrap((def as z.core.$ZodArrayDef).element, '').inner, where).type}`,
      constraints,
    };
  }
  if (def.type !== 'string' && def.type !== 'number' && def.type !== 'boolean') {
    fail(where, `schema kind ${def.type} is not supported by the doc generator`);
  }
  for (const c of checks) {
    if (c.check === 'number_format') {
      const f = (c as z.core.$ZodCheckNumberFormatDef).format;
      if (f === 'safeint' || f === 'int32' || f === 'uint32') type = 'integer';
    } else if (c.check === 'greater_than') {
      const g = c as z.core.$ZodCheckGreaterThanDef;
      constraints.push(`${g.inclusive ? '>=' : '>'} ${g.value}`);
    } else if (c.check === 'less_than') {
      const l = c as z.core.$ZodCheckLessThanDef;
      constraints.push(`${l.inclusive ? '<=' : '<'} ${l.value}`);
    } else if (c.check === 'string_format') {
      const r = c as z.core.$ZodCheckRegexDef;
      // The custom message ("expected HOST:PORT, e.g. ...") says it better than the pattern.
      const text = messageOf(r);
      constraints.push(
        text ? text.replace(/^expected /, '').replace(/, e\.g\. .*$/, '') : `matches ${String(r.pattern)}`,
      );
    } else if (c.check === 'max_length' || c.check === 'min_length') {
      const l = c as z.core.$ZodCheckMaxLengthDef | z.core.$ZodCheckMinLengthDef;
      const n =
        c.check === 'max_length'
          ? (l as z.core.$ZodCheckMaxLengthDef).maximum
          : (l as z.core.$ZodCheckMinLengthDef).minimum;
      constraints.push(`length ${c.check === 'max_length' ? '<=' : '>='} ${n}`);
    } else if (c.check === 'custom') {
      const msg = messageOf(c);
      if (!msg) fail(where, 'a .refine() check needs a message for the reference');
      constraints.push(msg);
    } else {
      fail(where, `check ${c.check} is not supported by the doc generator`);
    }
  }
  return { type, constraints };
}

/** The object value schema of a record (`.<name>`) or an array (`.<index>`) of objects, else null. */
function valueShape(s: Schema): { schema: Schema; suffix: string } | null {
  const def = s._zod.def;
  const inner =
    def.type === 'record'
      ? (def as z.core.$ZodRecordDef).valueType
      : def.type === 'array'
        ? (def as z.core.$ZodArrayDef).element
        : null;
  if (inner === null || unwrap(inner, '').inner._zod.def.type !== 'object') return null;
  return { schema: inner, suffix: def.type === 'record' ? '.<name>' : '.<index>' };
}

/** Walks the config schema into sections and keys, in declaration order. */
export function walkSchema(schema: Schema = configSchema, prefix = ''): ConfigSection {
  const top = unwrap(schema, prefix);
  if (top.inner._zod.def.type !== 'object') fail(prefix, 'expected an object schema');
  const shape = (top.inner._zod.def as z.core.$ZodObjectDef).shape;
  const section: ConfigSection = { path: prefix, description: top.description, keys: [], sections: [] };
  for (const [name, child] of Object.entries(shape)) {
    const where = prefix ? `${prefix}.${name}` : name;
    const u = unwrap(child, where);
    if (u.inner._zod.def.type === 'object') {
      const sub = walkSchema(child, where);
      if (u.nullable && u.hasDefault && u.default === null) sub.offByDefault = true;
      section.sections.push(sub);
      continue;
    }
    const value = valueShape(u.inner);
    if (value !== null) {
      const sub = walkSchema(value.schema, `${where}${value.suffix}`);
      sub.description = u.description;
      sub.template = value.suffix === '.<index>' ? 'list' : 'map';
      section.sections.push(sub);
      continue;
    }
    const { type, constraints } = checksOf(u.inner, where);
    section.keys.push({
      path: where,
      type,
      constraints,
      nullable: u.nullable,
      default: u.default,
      hasDefault: u.hasDefault,
      description: u.description,
    });
  }
  return section;
}

const FLAG_OF: Record<string, string> = Object.fromEntries(
  Object.entries(START_FLAGS).map(([f, k]) => [k, f]),
);

function fmtSize(n: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = -1;
  while (v >= 1024 && v % 1024 === 0 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u >= 0 ? `${v} ${units[u]}` : `${n} bytes`;
}

/** A default as a YAML scalar (quoted where YAML needs it). */
function yamlScalar(v: unknown): string {
  // Lists and maps in flow style (JSON is valid YAML), so they fit after `key: `.
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return YAML.stringify(v).trimEnd();
}

function sizeNote(k: ConfigKey): string {
  return /Bytes$/.test(k.path) && typeof k.default === 'number' && k.default >= 1024
    ? fmtSize(k.default)
    : '';
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function keyRow(k: ConfigKey): string {
  const type = [k.type, ...k.constraints].join(', ') + (k.nullable ? ', or null' : '');
  let dflt = k.hasDefault ? `\`${yamlScalar(k.default)}\`` : 'unset';
  const size = sizeNote(k);
  if (size) dflt += ` (${size})`;
  const flag = FLAG_OF[k.path];
  const desc = k.description + (flag ? ` Flag: \`--${flag}\`${k.nullable ? ' (`off` for null)' : ''}.` : '');
  return `| \`${k.path}\` | ${cell(type)} | ${cell(dflt)} | ${cell(desc)} |`;
}

function table(keys: ConfigKey[]): string[] {
  return ['| Key | Type | Default | Description |', '|---|---|---|---|', ...keys.map(keyRow)];
}

function exampleYaml(s: ConfigSection, indent: string, out: string[]): void {
  const leaf = (p: string) => p.slice(p.lastIndexOf('.') + 1);
  for (const k of s.keys) {
    out.push(`${indent}# ${k.description}`);
    if (k.hasDefault) {
      const size = sizeNote(k);
      out.push(`${indent}${leaf(k.path)}: ${yamlScalar(k.default)}${size ? `  # ${size}` : ''}`);
    } else {
      out.push(`${indent}# ${leaf(k.path)}:`);
    }
  }
  for (const sub of s.sections) {
    if (out.length > 0 && out[out.length - 1] !== '') out.push('');
    out.push(`${indent}# ${sub.description}`);
    if (sub.template !== undefined) {
      // A map or list is empty by default: its value shape is shown commented out.
      const name = leaf(sub.path.slice(0, sub.path.lastIndexOf('.')));
      out.push(`${indent}${name}: ${sub.template === 'map' ? '{}' : '[]'}`);
      const body: string[] = [];
      exampleYaml(sub, '  ', body);
      out.push(`${indent}# ${sub.template === 'map' ? `${name}.<name>:` : `each entry of ${name}:`}`);
      for (const l of body) out.push(l === '' ? `${indent}#` : `${indent}#${l}`);
      continue;
    }
    if (sub.offByDefault) {
      // Null (off) by default: `name: null`, then the keys it would take, commented out.
      out.push(`${indent}${leaf(sub.path)}: null`);
      const body: string[] = [];
      exampleYaml(sub, '  ', body);
      out.push(`${indent}# ${leaf(sub.path)}:`);
      for (const l of body) out.push(l === '' ? `${indent}#` : `${indent}#${l}`);
      continue;
    }
    out.push(`${indent}${leaf(sub.path)}:`);
    exampleYaml(sub, `${indent}  `, out);
  }
}

/** The whole docs/configuration.md text for a schema. Deterministic. */
export function renderConfigDoc(schema: Schema = configSchema): string {
  const root = walkSchema(schema);
  const out: string[] = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/core/config.ts by `npm run docs:config`; do not edit by hand. -->',
    '',
    'logwarden runs with embedded defaults and no configuration. To change them, write a YAML file',
    'and start with `logwarden start --config logwarden.yaml`; the `start` flags listed below',
    'override the file. Every key is optional. An unknown key, a value of the wrong type or a YAML',
    'syntax error stops `start` with a message that names the key (or line) and the file.',
    '',
    '## Example',
    '',
    'Every key with its default value (keys without a default are commented out):',
    '',
    '```yaml',
  ];
  const yaml: string[] = [];
  exampleYaml(root, '', yaml);
  out.push(...yaml, '```', '');
  const sections: ConfigSection[] = [];
  const collect = (s: ConfigSection) => {
    for (const sub of s.sections) {
      sections.push(sub);
      collect(sub);
    }
  };
  collect(root);
  if (root.keys.length > 0) out.push('## Top-level keys', '', ...table(root.keys), '');
  for (const s of sections) {
    out.push(`## \`${s.path}\``, '', s.description, '', ...table(s.keys), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

if (import.meta.main) {
  const text = renderConfigDoc();
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(DOC_PATH) ? fs.readFileSync(DOC_PATH, 'utf8') : '';
    if (current !== text) {
      process.stderr.write(
        `${path.relative(process.cwd(), DOC_PATH)} is out of date: run npm run docs:config\n`,
      );
      process.exit(1);
    }
  } else {
    fs.writeFileSync(DOC_PATH, text);
    process.stdout.write(`wrote ${path.relative(process.cwd(), DOC_PATH)}\n`);
  }
}
