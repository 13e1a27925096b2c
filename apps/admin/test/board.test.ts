import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { JOB_NAMES, QUEUE_NAMES, createKeys, createRedisClient, type DeliveryJob } from '@outboundiq/core';
import { Worker } from 'bullmq';
import { AUTH, REDIS_URL, createHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(() => {
  h = createHarness('board');
});
afterAll(async () => {
  await h.close();
});

it('shows a failed delivery with its failure reason', async () => {
  const job: DeliveryJob = {
    v: 1,
    companySlug: 'acme-board',
    webhookId: 'wh_0123456789abcdef01234567',
    deliveryId: '550e8400-e29b-41d4-a716-446655440000',
    dials: '[]',
    dialCount: 1,
    firstPublishedAt: Date.now(),
  };
  await h.queue.add(JOB_NAMES.deliver, job, { jobId: job.deliveryId });
  const connection = createRedisClient({ url: REDIS_URL, role: 'worker', name: 'admin-test-worker' });
  const failed = new Promise<void>((resolve) => {
    const worker = new Worker(
      QUEUE_NAMES.deliveries,
      async () => {
        throw new Error('receiver answered 500 twice');
      },
      { connection, prefix: createKeys(h.prefix).shard(0).bullPrefix() },
    );
    worker.on('failed', () => void worker.close().then(() => resolve()));
  });
  await failed;
  await connection.quit();

  const res = await h.app.inject({
    method: 'GET',
    url: `/admin/queues/api/queues?activeQueue=${QUEUE_NAMES.deliveries}&status=failed&page=1&jobsPerPage=10`,
    headers: AUTH,
  });
  expect(res.statusCode).toBe(200);
  const queue = res.json().queues.find((q: { name: string }) => q.name === QUEUE_NAMES.deliveries);
  expect(queue.readOnlyMode).toBe(true);
  expect(queue.counts.failed).toBe(1);
  expect(queue.jobs).toEqual([expect.objectContaining({ id: job.deliveryId, failedReason: 'receiver answered 500 twice' })]);
});

it('refuses changes from the dashboard (read-only)', async () => {
  const res = await h.app.inject({ method: 'PUT', url: `/admin/queues/api/queues/${QUEUE_NAMES.deliveries}/retry/failed`, headers: AUTH });
  expect(res.statusCode).toBe(405);
  expect((await h.queue.getJobCounts('failed')).failed).toBe(1);
});

it('shows one tab per shard\'s delivery queue when the data has several shards', async () => {
  const sharded = createHarness('board-shards', { shards: 3 });
  try {
    const res = await sharded.app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: AUTH });
    expect(res.statusCode).toBe(200);
    const tabs = res.json().queues.map((q: { name: string; displayName: string }) => [q.name, q.displayName]);
    expect(tabs).toEqual([
      ['s0-deliveries', 'deliveries (shard 0)'],
      ['s1-deliveries', 'deliveries (shard 1)'],
      ['s2-deliveries', 'deliveries (shard 2)'],
    ]);
  } finally {
    await sharded.close();
  }
});
