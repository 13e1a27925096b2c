// A publisher's ESM script, as in the package README: publishes the dial given as argv[2], then a
// bad one, and prints what happened and every module the process loaded.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createDialProducer, DialValidationError } from '@outboundiq/webhook-producer';

const dial = JSON.parse(process.argv[2]);
const producer = createDialProducer({ redisUrl: process.env.REDIS_URL, keyPrefix: process.env.KEY_PREFIX });
try {
  const { enqueued } = await producer.publish({ ...dial, timestamp: new Date(dial.timestamp) });
  const rejected = await producer.publish({ ...dial, phone: '12' }).then(
    () => 'resolved',
    (err) => (err instanceof DialValidationError ? `${err.name}: ${err.message}` : `not a DialValidationError: ${err}`),
  );
  const esm = readFileSync(process.env.LOADED_LOG, 'utf8').split('\n').filter(Boolean);
  const loaded = [...esm, ...Object.keys(createRequire(import.meta.url).cache)];
  const builtins = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length));
  console.log(JSON.stringify({ enqueued, rejected, loaded, builtins }));
} finally {
  await producer.close();
}
