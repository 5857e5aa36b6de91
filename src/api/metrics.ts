/**
 * `/metrics` in the Prometheus text exposition format. Counters are plain objects owned by each
 * component (received, accepted, rejected, dropped with a reason, errors); this module only
 * renders them, so a component never depends on the metrics library.
 */

export interface MetricSample {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  values: Array<{ labels?: Record<string, string | number>; value: number }>;
}

function esc(v: string | number): string {
  return String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function renderMetrics(samples: MetricSample[]): string {
  const out: string[] = [];
  for (const s of samples) {
    out.push(`# HELP ${s.name} ${s.help}`);
    out.push(`# TYPE ${s.name} ${s.type}`);
    for (const v of s.values) {
      const labels = v.labels
        ? `{${Object.entries(v.labels)
            .map(([k, lv]) => `${k}="${esc(lv)}"`)
            .join(',')}}`
        : '';
      out.push(`${s.name}${labels} ${Number.isFinite(v.value) ? v.value : 0}`);
    }
  }
  return `${out.join('\n')}\n`;
}
