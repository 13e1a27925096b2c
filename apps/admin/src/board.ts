import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyPluginAsync } from 'fastify';
import { requestError } from './framework-errors.js';

export const BOARD_PATH = '/admin/queues';

export interface BoardOptions {
  /** Every queue of the system (the delivery queue of each shard, in shard order); each gets a tab. */
  queues: readonly Queue[];
}

/**
 * Bull Board, read-only: operators watch deliveries and read why one failed (its failedReason).
 * A failed delivery is given up for good (CONTRACT section 1); re-sending one is a product decision,
 * not a dashboard button. Authentication is the app's own onRequest hook, which runs first.
 */
export const boardRoutes: FastifyPluginAsync<BoardOptions> = async (app, { queues }) => {
  const serverAdapter = new BoardAdapter();
  serverAdapter.setBasePath(BOARD_PATH);
  createBullBoard({
    // Every shard's queue is named `deliveries` (its shard is in its key prefix): with more than one,
    // tabs are told apart as s0-deliveries, s1-deliveries...
    queues: queues.map((queue, shard) => new BullMQAdapter(queue, {
      readOnlyMode: true,
      ...(queues.length > 1 ? { prefix: `s${shard}-`, displayName: `${queue.name} (shard ${shard})` } : {}),
    })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'outboundIQ' } },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: BOARD_PATH });
};

type BoardErrorHandler = Parameters<FastifyAdapter['setErrorHandler']>[0];
type BoardAnswer = ReturnType<BoardErrorHandler>;

/**
 * Bull Board answers its own UI in its own protocol (`{ error: { key } }`, a key its UI translates),
 * and its plugin sets an error handler of its own, which would answer fastify's refusals of a request
 * (bad JSON, content type, body size) that way too. Those get the API's error body, like everywhere
 * else; what only Bull Board can explain (a failing Redis call) still goes to its handler.
 */
class BoardAdapter extends FastifyAdapter {
  override setErrorHandler(handler: BoardErrorHandler): this {
    return super.setErrorHandler((error): BoardAnswer => {
      const refusal = requestError(error);
      if (refusal === undefined) return handler(error);
      return { status: refusal.statusCode as NonNullable<BoardAnswer['status']>, body: refusal.toBody() };
    });
  }
}
