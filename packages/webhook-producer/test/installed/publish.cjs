// The same publisher as publish.mjs, in CommonJS: every file it requires is in require.cache.
const { createDialProducer, DialValidationError } = require('@outboundiq/webhook-producer');

async function main() {
  const dial = JSON.parse(process.argv[2]);
  const producer = createDialProducer({ redisUrl: process.env.REDIS_URL, keyPrefix: process.env.KEY_PREFIX });
  try {
    const { enqueued } = await producer.publish({ ...dial, timestamp: new Date(dial.timestamp) });
    const rejected = await producer.publish({ ...dial, phone: '12' }).then(
      () => 'resolved',
      (err) => (err instanceof DialValidationError ? `${err.name}: ${err.message}` : `not a DialValidationError: ${err}`),
    );
    const loaded = Object.keys(require.cache);
    const builtins = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length));
    console.log(JSON.stringify({ enqueued, rejected, loaded, builtins }));
  } finally {
    await producer.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
