import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ConfigError, OiqError } from './errors.js';

const VERSION = 'v1';

/**
 * Encrypts signing secrets at rest with AES-256-GCM. The webhook id is bound in as associated data,
 * so a ciphertext copied onto another webhook does not decrypt.
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new ConfigError('SECRETS_ENCRYPTION_KEY must be base64 of exactly 32 bytes');
    this.#key = key;
  }

  static fromBase64(value: string): SecretBox {
    return new SecretBox(Buffer.from(value, 'base64'));
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), data.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  open(sealed: string, context: string): string {
    const [version, iv, data, tag] = sealed.split('.');
    if (version !== VERSION || !iv || data === undefined || !tag) throw new OiqError('sealed secret is malformed');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    } catch (cause) {
      // Never echo the ciphertext or the key: the reason is enough for an operator.
      throw new OiqError('sealed secret does not decrypt with SECRETS_ENCRYPTION_KEY', { cause });
    }
  }
}
