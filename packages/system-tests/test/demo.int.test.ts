import { spawn } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { REPO_ROOT, freePort, uniquePrefix, waitFor } from '@outboundiq/testkit';

describe('pnpm demo', () => {
  it('starts the whole stack and prints verified batches, then stops cleanly on Ctrl-C', async () => {
    const [admin, batcher, sender] = [await freePort(), await freePort(), await freePort()];
    const child = spawn(process.execPath, [`${REPO_ROOT}scripts/dist/stack.js`, '--demo'], {
      env: {
        PATH: process.env.PATH ?? '',
        REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        KEY_PREFIX: uniquePrefix('demo'),
        ADMIN_PORT: String(admin),
        BATCHER_PORT: String(batcher),
        SENDER_PORT: String(sender),
        DEMO_RATE: '20',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(() => (output.match(/✓ batch \d+: \d+ dial\(s\) for demo-company, deliveryId [0-9a-f-]{36}, signature verified/g) ?? []).length >= 3, 30_000, 'three verified batches');
      expect(output).toContain(`http://127.0.0.1:${admin}/admin/queues`);
      expect(output).not.toMatch(/INVALID|✗/);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(output).toMatch(/demo: \d+ batches received/);
  }, 60_000);
});
