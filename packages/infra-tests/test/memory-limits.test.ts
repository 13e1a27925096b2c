import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { APPS } from '../src/app-config.js';
import { containersOf, kustomize, repoPath, type Doc } from '../src/kustomize.js';

/** The measured peaks, kept in one place (infra/memory-peaks.json; infra/README.md, "Memory"). */
const peaks = JSON.parse(readFileSync(repoPath('infra/memory-peaks.json'), 'utf8')) as { peakMiB: Record<string, number> };
/** Headroom of a limit over the measured peak: GC timing, a bigger burst than the benchmark's. */
const HEADROOM = 1.5;

const mib = (quantity: string): number => {
  const m = /^(\d+(?:\.\d+)?)(Mi|Gi)$/.exec(quantity);
  if (!m) throw new Error(`memory quantity ${quantity}: write it in Mi or Gi`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
};

describe.each(['dev', 'prod', 'prod-keda', 'prod-cluster'])('overlay %s: memory from the measured peaks', (overlay) => {
  const docs = kustomize(repoPath('infra/k8s/overlays', overlay));
  const container = (app: string): Doc => containersOf(docs.find((d) => d.kind === 'Deployment' && d.metadata.name === `oiq-${app}`)!)[0]!;

  it.each(APPS)('%s: requests its measured peak, and its limit leaves headroom above it', (app) => {
    const peak = peaks.peakMiB[app]!;
    expect(peak).toBeGreaterThan(0);
    const { requests, limits } = container(app).resources as { requests: { memory: string }; limits: { memory: string } };
    expect([app, mib(requests.memory) >= peak]).toEqual([app, true]);
    expect([app, mib(limits.memory) >= HEADROOM * peak]).toEqual([app, true]);
  });

  it.each(['batcher', 'sender'])('%s: slows its intake (MEMORY_SOFT_LIMIT_MB) above its peak and below its limit', (app) => {
    const env = (container(app).env as Doc[]).find((e) => e.name === 'MEMORY_SOFT_LIMIT_MB');
    const soft = Number(env?.value);
    expect([app, soft > peaks.peakMiB[app]!]).toEqual([app, true]);
    // Room for the memory taken between two samples (250 ms) and the work already in hand.
    expect([app, soft <= 0.85 * mib(container(app).resources.limits.memory)]).toEqual([app, true]);
  });
});
