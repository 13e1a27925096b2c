import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { runToEnd } from '@outboundiq/testkit';

// Runs the built benchmark with tiny sizes: it must finish and report every section, the cluster
// row included (a local Redis Cluster of its own). Its figures are not checked: speed is what the
// benchmark prints, never a test that fails on a slow machine. It runs the README's `pnpm bench` in
// the README's form, through pnpm, and the README check (readme-commands.int.test.ts) counts on it.
describe('pnpm bench -- --smoke', () => {
  it('exits 0 and writes results.json with every section', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oiq-bench-'));
    const out = join(dir, 'results.json');
    try {
      const { code, output } = await runToEnd(`pnpm bench -- --smoke --out ${out}`, { timeoutMs: 115_000 });
      expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });

      const results = JSON.parse(readFileSync(out, 'utf8'));
      expect(results.smoke).toBe(true);
      expect(results.producer.map((r: { method: string }) => r.method)).toEqual(
        expect.arrayContaining(['publish', 'publishMany x100', 'raw XADD per dial (limit)']),
      );
      const shapes = results.endToEnd.map((r: { batchers: number; senders: number; companies: number; webhooksPerCompany: number }) => `${r.batchers}+${r.senders}/${r.companies > 1 ? 'many' : 'one'}/${r.webhooksPerCompany}`);
      expect(shapes.sort()).toEqual(['1+1/many/1', '1+1/many/3', '1+1/one/1', '1+1/one/3', '2+2/many/1', '2+2/many/3', '2+2/one/1', '2+2/one/3']);
      for (const row of results.endToEnd) expect(Object.keys(row)).toEqual(expect.arrayContaining(['dialsPerSecond', 'httpPerSecond', 'meanBatch', 'latencyMs']));
      expect(results.lightLoad).toEqual(expect.objectContaining({ latencyMs: expect.objectContaining({ p50: expect.any(Number), p99: expect.any(Number) }) }));
      expect(results.naive).toEqual(expect.objectContaining({ dialsPerSecond: expect.any(Number), oursOverNaive: expect.any(Number) }));
      expect(results.httpCeiling.map((r: { client: string }) => r.client)).toEqual(expect.arrayContaining(['got', 'node:https']));
      expect(results.memory.redis.length).toBeGreaterThan(0);
      expect(Object.keys(results.memory.peakRssMiB)).toEqual(expect.arrayContaining(['bench', 'receiver', 'redis-server', 'batcher-1', 'sender-1', 'naive-worker', 'redis-cluster master']));
      // The cluster row: every backend ran, and each of the 3 masters reported its commands and its shards.
      const cluster = results.cluster;
      expect(cluster.runs.map((r: { backend: string }) => r.backend)).toEqual(['one Redis, S = 1', 'one Redis, S = 16', 'Redis Cluster 3+3, S = 16']);
      for (const run of cluster.runs) expect(run).toEqual(expect.objectContaining({ dialsPerSecond: expect.any(Number), masters: expect.any(Array) }));
      expect(cluster.clusterOverOneRedis).toEqual(expect.any(Number));
      expect(cluster.perMaster).toHaveLength(3);
      expect(cluster.perMaster.reduce((sum: number, m: { shards: number }) => sum + m.shards, 0)).toBe(16);
      for (const master of cluster.perMaster) expect(master.commands).toBeGreaterThan(0);
      expect(output).toContain('7c. Each master');
      // The delivery log: bytes per kept record and batch, and runs with and without it.
      expect(results.deliveryLog.bytesPerRecord).toEqual({ delivered: expect.any(Number), failed: expect.any(Number) });
      expect(results.deliveryLog.bytesPerFailedBatch.map((b: { dials: number }) => b.dials)).toEqual([1, 100]);
      expect(results.deliveryLog.throughput.map((t: { log: string }) => t.log).sort()).toEqual(['off', 'on']);
      expect(output).toContain('8b. End to end with and without the delivery log');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
