/**
 * Loads the YAML config file and merges command-line flags over it; validation errors name the
 * key and where it came from: the file (with line:col for YAML syntax errors) or the command line.
 */
import { type Config, validateConfig } from '../core/config.ts';
import { readYamlMapping } from '../core/yaml-file.ts';

/**
 * The `logwarden start` flags that set a config key: flag name -> dotted key. For the syslog
 * addresses, the value `off` means null (disabled). docs/configuration.md lists them per key.
 */
export const START_FLAGS = {
  'data-dir': 'dataDir',
  http: 'http.listen',
  'syslog-udp': 'syslog.udp',
  'syslog-tcp': 'syslog.tcp',
  'log-level': 'log.level',
  'log-format': 'log.format',
  role: 'role',
  queue: 'queue.type',
  'kafka-brokers': 'queue.kafka.brokers',
  auth: 'auth.enabled',
  'bootstrap-token-file': 'auth.bootstrapTokenFile',
} as const;

/** Flags whose value `off` disables the listener (config value null). */
const OFF_FLAGS = new Set<string>(['syslog-udp', 'syslog-tcp']);
/** Flags whose value is a comma-separated list. */
const LIST_FLAGS = new Set<string>(['kafka-brokers']);
/** Flags whose value `on` / `off` is a boolean (anything else is left for validation to name). */
const ON_OFF_FLAGS = new Set<string>(['auth']);

/** Turns parsed `start` flags into dotted-key overrides for `loadConfig` (`off` -> null). */
export function flagOverrides(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [flag, key] of Object.entries(START_FLAGS)) {
    const v = values[flag];
    if (v === undefined) continue;
    if (ON_OFF_FLAGS.has(flag)) out[key] = v === 'on' ? true : v === 'off' ? false : v;
    else
      out[key] = OFF_FLAGS.has(flag) && v === 'off' ? null : LIST_FLAGS.has(flag) ? String(v).split(',') : v;
  }
  return out;
}

function readConfigFile(file: string): Record<string, unknown> {
  return readYamlMapping(file).value;
}

/**
 * Reads `file` (if given), applies `overrides` (dotted key -> value; undefined is ignored) and
 * validates. The file is validated on its own first, so an error names the file when the file
 * is wrong and "the command line" when a flag is.
 */
export function loadConfig(file: string | undefined, overrides: Record<string, unknown>): Config {
  const raw = file ? readConfigFile(file) : {};
  const flags = Object.entries(overrides).filter(([, v]) => v !== undefined);
  if (file) {
    const fromFile = validateConfig(raw, file);
    if (flags.length === 0) return fromFile;
  }
  const merged = structuredClone(raw);
  for (const [dotted, value] of flags) {
    const keys = dotted.split('.');
    let o = merged as Record<string, unknown>;
    for (const k of keys.slice(0, -1)) {
      if (typeof o[k] !== 'object' || o[k] === null) o[k] = {};
      o = o[k] as Record<string, unknown>;
    }
    o[keys[keys.length - 1]] = value;
  }
  return validateConfig(merged, 'the command line');
}
