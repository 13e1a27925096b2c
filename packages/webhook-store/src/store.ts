import { randomBytes } from 'node:crypto';
import {
  MAX_WEBHOOKS_PER_COMPANY,
  OiqError,
  ensureLayout,
  generateSigningSecret,
  type Keys,
  type RedisClient,
  type SecretBox,
  type Webhook,
  type WebhookCreate,
  type WebhookUpdate,
} from '@outboundiq/core';
import { maskedHeaders, openHeaders, resolveHeaders, sealedForm, type RecordHeaders } from './headers.js';
import { CREATE_SCRIPT, DELETE_SCRIPT, PATCH_SCRIPT } from './scripts.js';

/** A 4th webhook for a company. */
export class WebhookLimitError extends OiqError {
  constructor(companySlug: string) {
    super(`company ${companySlug} already has ${MAX_WEBHOOKS_PER_COMPANY} webhooks, the most allowed`);
  }
}

/**
 * What Redis holds for a webhook: the API view (header values masked) plus the sealed secret and
 * header values, never either in clear (headers.ts: records written before values were sealed).
 */
interface WebhookRecord extends Webhook, RecordHeaders {
  sealedSecret: string;
}

/** Tries of a write that depends on what was read, against writes racing it (PATCH_SCRIPT's 'stale'). */
const MAX_STALE_RETRIES = 25;

/**
 * A webhook with its signing secret and header values in clear, for the one moment the sender
 * signs and sends.
 */
export interface WebhookWithSecret {
  webhook: Webhook;
  signingSecret: string;
}

export interface WebhookStoreDeps {
  redis: RedisClient;
  keys: Keys;
  secretBox: SecretBox;
  now?: () => Date;
}

type StoreClient = RedisClient & {
  oiqWebhookCreate(hash: string, enabled: string, company: string, id: string, record: string, limit: number): Promise<number>;
  oiqWebhookPatch(hash: string, enabled: string, company: string, id: string, fields: string, expected: string): Promise<string | null>;
  oiqWebhookDelete(hash: string, enabled: string, logAll: string, logFailed: string, company: string, id: string, logRecordPrefix: string): Promise<number>;
};

export type WebhookStore = ReturnType<typeof createWebhookStore>;

export function createWebhookStore(deps: WebhookStoreDeps) {
  const { keys, secretBox } = deps;
  const now = deps.now ?? (() => new Date());
  const redis = deps.redis as StoreClient;
  if (typeof redis.oiqWebhookCreate !== 'function') {
    redis.defineCommand('oiqWebhookCreate', { numberOfKeys: 2, lua: CREATE_SCRIPT });
    redis.defineCommand('oiqWebhookPatch', { numberOfKeys: 2, lua: PATCH_SCRIPT });
    redis.defineCommand('oiqWebhookDelete', { numberOfKeys: 4, lua: DELETE_SCRIPT });
  }

  // No webhook may exist before the layout (S, version) is stored: the producer skips every dial
  // while none is (CONTRACT 2.1). The admin stores it at start; the store makes sure of it too,
  // once per process, so that whatever creates the first webhook also fixes the layout.
  let layoutStored: Promise<unknown> | undefined;
  const storeLayoutOnce = () => {
    layoutStored ??= ensureLayout(redis, keys).catch((err: unknown) => {
      layoutStored = undefined;
      throw err;
    });
    return layoutStored;
  };

  /**
   * Writes fields computed from the stored record (headers resolved or sealed), retrying when
   * another write landed in between, so that nothing computed from an old read overwrites it.
   */
  const patch = async (company: string, id: string, change: (record: WebhookRecord) => Partial<WebhookRecord>): Promise<WebhookRecord | null> => {
    for (let attempt = 0; attempt < MAX_STALE_RETRIES; attempt++) {
      const read = await redis.hget(keys.webhooks(company), id);
      if (read === null) return null;
      const fields = change(JSON.parse(read) as WebhookRecord);
      const raw = await redis.oiqWebhookPatch(keys.webhooks(company), keys.shardOfCompany(company).enabledCompanies(), company, id, JSON.stringify(fields), read);
      if (raw !== 'stale') return raw === null ? null : (JSON.parse(raw) as WebhookRecord);
    }
    throw new OiqError(`webhook ${id} kept changing while it was being written; try again`);
  };

  const getRecord = async (company: string, id: string): Promise<WebhookRecord | null> => {
    const raw = await redis.hget(keys.webhooks(company), id);
    return raw === null ? null : (JSON.parse(raw) as WebhookRecord);
  };

  return {
    /** Creates a webhook and returns its signing secret: the only time it is ever shown. */
    async create(company: string, input: WebhookCreate): Promise<WebhookWithSecret> {
      await storeLayoutOnce();
      const id = `wh_${randomBytes(12).toString('hex')}`;
      const signingSecret = generateSigningSecret();
      const at = now().toISOString();
      const record: WebhookRecord = {
        id,
        companySlug: company,
        name: input.name,
        url: input.url,
        ...resolveHeaders(secretBox, id, input.headers, null),
        enabled: input.enabled,
        createdAt: at,
        updatedAt: at,
        sealedSecret: secretBox.seal(signingSecret, id),
      };
      const created = await redis.oiqWebhookCreate(
        keys.webhooks(company), keys.shardOfCompany(company).enabledCompanies(), company, id, JSON.stringify(record), MAX_WEBHOOKS_PER_COMPANY,
      );
      if (created === -1) throw new WebhookLimitError(company);
      return { webhook: toWebhook(record), signingSecret };
    },

    /** Oldest first. */
    async list(company: string): Promise<Webhook[]> {
      const raw = await redis.hvals(keys.webhooks(company));
      return raw
        .map((r) => toWebhook(JSON.parse(r) as WebhookRecord))
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    },

    async get(company: string, id: string): Promise<Webhook | null> {
      const record = await getRecord(company, id);
      return record && toWebhook(record);
    },

    /** `headers` replaces the set; a masked value sent back keeps the stored one (HeaderValueError otherwise). */
    async update(company: string, id: string, change: WebhookUpdate): Promise<Webhook | null> {
      const record = await patch(company, id, (stored) => {
        const fields: Partial<WebhookRecord> = { updatedAt: now().toISOString(), ...sealedForm(secretBox, id, stored) };
        if (change.name !== undefined) fields.name = change.name;
        if (change.url !== undefined) fields.url = change.url;
        if (change.headers !== undefined) Object.assign(fields, resolveHeaders(secretBox, id, change.headers, stored));
        if (change.enabled !== undefined) fields.enabled = change.enabled;
        return fields;
      });
      return record && toWebhook(record);
    },

    /** A new secret; the old one signs nothing from the moment this resolves. */
    async rotateSecret(company: string, id: string): Promise<string | null> {
      const signingSecret = generateSigningSecret();
      const sealedSecret = secretBox.seal(signingSecret, id);
      const record = await patch(company, id, (stored) => ({ ...sealedForm(secretBox, id, stored), sealedSecret, updatedAt: now().toISOString() }));
      return record === null ? null : signingSecret;
    },

    async delete(company: string, id: string): Promise<boolean> {
      const log = keys.deliveryLog(company, id);
      return (await redis.oiqWebhookDelete(keys.webhooks(company), keys.shardOfCompany(company).enabledCompanies(), log.all(), log.failed(), company, id, log.recordPrefix())) === 1;
    },

    /**
     * For the sender, at send time: the webhook with its header values in clear, and its secret;
     * null if it is gone. Nothing else opens a sealed value.
     */
    async loadForDelivery(company: string, id: string): Promise<WebhookWithSecret | null> {
      const record = await getRecord(company, id);
      if (record === null) return null;
      return {
        webhook: { ...toWebhook(record), headers: openHeaders(secretBox, record.id, record) },
        signingSecret: secretBox.open(record.sealedSecret, record.id),
      };
    },
  };
}

/** Parses the stored JSON values of `keys.webhooks(c)` (HGETALL/HVALS) into the ids of enabled webhooks. */
export function enabledWebhookIds(values: readonly string[]): string[] {
  return values
    .map((raw) => JSON.parse(raw) as WebhookRecord)
    .filter((r) => r.enabled)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
    .map((r) => r.id);
}

function toWebhook(record: WebhookRecord): Webhook {
  return {
    id: record.id,
    companySlug: record.companySlug,
    name: record.name,
    url: record.url,
    headers: maskedHeaders(record),
    enabled: record.enabled,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}
