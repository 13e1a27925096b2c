// The root README's "On a self-hosted cluster" block, run on loopback: six redis-servers with the
// block's own flags, joined by its redis-cli line, checked with its `cluster info` line, and the
// batcher started with its environment; then the inline keyslot command against that cluster.
// The hosts of the README (10.0.0.1-6, port 7000) become 127.0.0.1 and free ports; nothing else of
// a command is changed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from '@jest/globals';
import { slotOf } from '@outboundiq/core';
import { clusterPorts, freePort, readerEnv, runShell, runToEnd, waitFor, type ShellRun } from '@outboundiq/testkit';

const find = (steps: readonly string[], start: string) => {
  const step = steps.find((s) => s.startsWith(start));
  if (!step) throw new Error(`no README step starts with ${start}`);
  return step;
};

/** Every `from` must occur: a README edit that drops a host must not leave a 10.0.0.x in a command run here. */
function replaceAll(command: string, pairs: [from: string | RegExp, to: string][]): string {
  let out = command;
  for (const [from, to] of pairs) {
    const next = typeof from === 'string' ? out.split(from).join(to) : out.replace(from, to);
    if (next === out) throw new Error(`${String(from)} is not in \`${command}\``);
    out = next;
  }
  if (/10\.0\.0\.|7000/.test(out)) throw new Error(`a README host is left in \`${out}\``);
  return out;
}

export async function runSelfHostedClusterBlock(steps: readonly string[]): Promise<void> {
  const ports = await clusterPorts(6);
  const hosts = ports.map((port, i) => [`10.0.0.${i + 1}:7000`, `127.0.0.1:${port}`] as [string, string]);
  const dirs = ports.map(() => mkdtempSync(join(tmpdir(), 'oiq-readme-cluster-')));
  const nodes: ShellRun[] = [];
  try {
    const serverLine = find(steps, 'redis-server --port 7000');
    ports.forEach((port, i) => {
      // The block runs each node in a folder of its own (AOF and nodes-<port>.conf land in the cwd).
      nodes.push(runShell(replaceAll(serverLine, [['--port 7000', `--port ${port}`], ['nodes-7000.conf', `nodes-${port}.conf`]]), { cwd: dirs[i]! }));
    });
    for (const port of ports) {
      await waitFor(async () => (await runToEnd(`redis-cli -p ${port} ping`)).output.trim() === 'PONG', 20_000, `redis-server on ${port}`);
    }

    const create = await runToEnd(replaceAll(find(steps, 'redis-cli --cluster create 10.0.0.1'), hosts), { input: 'yes\n', timeoutMs: 60_000 });
    expect({ code: create.code, output: create.code === 0 ? '' : create.output }).toEqual({ code: 0, output: '' });
    expect(create.output).toContain('[OK] All 16384 slots covered.');

    const info = replaceAll(find(steps, 'redis-cli -h 10.0.0.1 -p 7000 cluster info'), [['-h 10.0.0.1 -p 7000', `-h 127.0.0.1 -p ${ports[0]}`]]);
    await waitFor(async () => (await runToEnd(info)).output.trim() === 'cluster_state:ok', 30_000, 'cluster_state:ok');

    const healthPort = await freePort();
    const batcherLine = replaceAll(find(steps, 'REDIS_CLUSTER_NODES=10.0.0.1'), hosts.slice(0, 3));
    const batcher = runShell(batcherLine, { env: readerEnv({ PORT: String(healthPort), LOG_LEVEL: 'warn' }) });
    try {
      await waitFor(async () => {
        try {
          return (await fetch(`http://127.0.0.1:${healthPort}/readyz`)).ok;
        } catch {
          return false;
        }
      }, 30_000, `the batcher on the cluster to be ready (${batcher.output()})`);
    } finally {
      batcher.signal('SIGTERM');
    }
    expect(await batcher.exited).toEqual({ code: 0, signal: null });

    const keyslot = replaceAll(find(steps, 'redis-cli -c -h <node> -p <port> cluster keyslot'), [['<node>', '127.0.0.1'], ['<port>', String(ports[1])]]);
    const slot = await runToEnd(keyslot);
    expect(slot.output.trim()).toBe(String(slotOf('s5-158')));
  } finally {
    for (const node of nodes) node.signal('SIGKILL');
    await Promise.all(nodes.map((node) => node.groupGone(10_000).catch(() => undefined)));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}
