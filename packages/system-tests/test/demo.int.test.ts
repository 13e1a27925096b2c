import { describe, expect, it } from '@jest/globals';
import { freePort, portsInUse, readerEnv, runShell, uniquePrefix, waitFor } from '@outboundiq/testkit';

// The README's `pnpm demo`, run as written (through pnpm, its build included) and stopped the way a
// reader stops it: Ctrl-C, which reaches every process of the terminal's group. The README check
// (readme-commands.int.test.ts) counts on this test for that command.
const DEMO_COMMAND = 'pnpm demo';

describe(DEMO_COMMAND, () => {
  it('starts the whole stack and prints verified batches, then stops cleanly on Ctrl-C, freeing its ports', async () => {
    const ports = { ADMIN_PORT: await freePort(), BATCHER_PORT: await freePort(), SENDER_PORT: await freePort() };
    const run = runShell(DEMO_COMMAND, {
      env: readerEnv({ KEY_PREFIX: uniquePrefix('demo'), DEMO_RATE: '20', ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) }),
    });
    try {
      await waitFor(() => (run.output().match(/✓ batch \d+: \d+ dial\(s\) for demo-company, deliveryId [0-9a-f-]{36}, signature verified/g) ?? []).length >= 3, 45_000, 'three verified batches');
      expect(run.output()).toContain(`http://127.0.0.1:${ports.ADMIN_PORT}/admin/queues`);
      expect(run.output()).not.toMatch(/INVALID|✗/);
    } finally {
      run.interrupt();
    }
    // pnpm hands Ctrl-C's outcome on: the stack's own status once it has stopped (the script execs it).
    expect(await run.exited).toEqual({ code: 0, signal: null });
    await run.groupGone();
    expect(run.output()).toMatch(/demo: \d+ batches received/);
    expect(run.output()).not.toContain('ELIFECYCLE');
    expect(await portsInUse(Object.values(ports))).toEqual([]);
  }, 90_000);
});
