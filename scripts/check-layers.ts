/**
 * The layering rule of CONVENTIONS.md, enforced: a module imports only from its own top-level
 * folder under src/ or from a lower layer. Exits 1 listing every violation (file:line).
 *
 *   core (0) < queue, store, query (1) < sources (2) < processors (3) < api (4) < cli (5)
 *
 * Unit tests (`*.test.ts`) are exempt: they may build their inputs with any layer.
 *
 * Sources (protocol edges) own their protocol's parsers; processors may use them to parse what
 * the queue holds, so processors sit above sources.
 */
import fs from 'node:fs';
import path from 'node:path';

export const RANKS: Record<string, number> = {
  core: 0,
  queue: 1,
  store: 1,
  query: 1,
  sources: 2,
  processors: 3,
  api: 4,
  ui: 4,
  agent: 4,
  cli: 5,
};

const ROOT = path.resolve(import.meta.dirname, '..');
const SRC = path.join(ROOT, 'src');

function* files(dir: string): Generator<string> {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (e.name.endsWith('.ts')) yield p;
  }
}

export function layerOf(file: string): string {
  return path.relative(SRC, file).split(path.sep)[0];
}

export function checkLayers(): string[] {
  const problems: string[] = [];
  for (const f of files(SRC)) {
    if (f.endsWith('.test.ts')) continue;
    const from = layerOf(f);
    if (!(from in RANKS)) {
      problems.push(`${path.relative(ROOT, f)}: folder src/${from} has no layer in scripts/check-layers.ts`);
      continue;
    }
    const lines = fs.readFileSync(f, 'utf8').split('\n');
    lines.forEach((line, i) => {
      const m =
        /^\s*(?:import|export)\b[^'"]*from\s+['"](\.[^'"]+)['"]/.exec(line) ??
        /^\s*import\s+['"](\.[^'"]+)['"]/.exec(line);
      if (!m) return;
      const target = path.resolve(path.dirname(f), m[1]);
      if (!target.startsWith(SRC + path.sep)) return;
      const to = layerOf(target);
      if (to === from) return;
      if (!(to in RANKS) || RANKS[to] >= RANKS[from]) {
        problems.push(
          `${path.relative(ROOT, f)}:${i + 1}: src/${from} (layer ${RANKS[from]}) must not import src/${to} (layer ${RANKS[to] ?? '?'})`,
        );
      }
    });
  }
  return problems;
}

if (import.meta.main) {
  const problems = checkLayers();
  for (const p of problems) process.stderr.write(`${p}\n`);
  if (problems.length > 0) {
    process.stderr.write(`${problems.length} layering violation(s)\n`);
    process.exit(1);
  }
  process.stdout.write('layers: ok\n');
}
