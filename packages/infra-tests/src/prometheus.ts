/**
 * Just enough Prometheus to check an autoscaling query against what the apps really export: the
 * query is one aggregation over one selector of equality matchers (the only shape we use), evaluated
 * over samples parsed from the text exposition a registry renders, as Prometheus would after adding
 * its target labels (namespace, pod).
 */
export interface AggregatedSelector {
  aggregation: 'max' | 'sum' | 'min' | 'avg';
  metric: string;
  matchers: Record<string, string>;
}

export interface Sample {
  metric: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';

export function parseAggregatedSelector(query: string): AggregatedSelector {
  const m = new RegExp(`^\\s*(max|sum|min|avg)\\s*\\(\\s*(${NAME})\\s*\\{([^}]*)\\}\\s*\\)\\s*$`).exec(query);
  if (!m) throw new Error(`not <aggregation>(<metric>{<label>="<value>",...}): ${query}`);
  const matchers: Record<string, string> = {};
  for (const part of m[3]!.split(',').filter((p) => p.trim() !== '')) {
    const mm = /^\s*([a-zA-Z_]\w*)\s*=\s*"([^"\\]*)"\s*$/.exec(part);
    if (!mm) throw new Error(`only label="value" matchers are understood here, not ${part.trim()}`);
    matchers[mm[1]!] = mm[2]!;
  }
  return { aggregation: m[1] as AggregatedSelector['aggregation'], metric: m[2]!, matchers };
}

/** The samples of Prometheus text exposition (label values without escapes: ours have none). */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = new RegExp(`^(${NAME})(?:\\{([^}]*)\\})? (\\S+)$`).exec(line);
    if (!m) throw new Error(`unexpected exposition line: ${line}`);
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    samples.push({ metric: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The query's one number over these samples, or undefined where Prometheus would answer nothing. */
export function evaluate(query: AggregatedSelector, samples: readonly Sample[]): number | undefined {
  const values = samples
    .filter((s) => s.metric === query.metric && Object.entries(query.matchers).every(([k, v]) => s.labels[k] === v))
    .map((s) => s.value);
  if (values.length === 0) return undefined;
  const sum = values.reduce((a, b) => a + b, 0);
  switch (query.aggregation) {
    case 'max': return Math.max(...values);
    case 'min': return Math.min(...values);
    case 'sum': return sum;
    case 'avg': return sum / values.length;
  }
}
