// Runs on the loader's own thread: a synchronous append, so every URL is in the file before the
// import that loads it resolves on the main thread.
import { appendFileSync } from 'node:fs';

let log;

export function initialize(data) {
  log = data.log;
}

export async function load(url, context, nextLoad) {
  appendFileSync(log, `${url}\n`);
  return nextLoad(url, context);
}
