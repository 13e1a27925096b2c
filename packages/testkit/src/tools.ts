// The machine's own programs that the stack, the tests and the scripts run. A new user on a machine
// with only Node.js must read which one is missing and the command that installs it, not the
// `spawn redis-server ENOENT` stack trace of whatever needed it first.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Debian's package for each program (the machines we run on are Debian's). */
const PACKAGES = {
  'redis-server': 'redis-server',
  'redis-cli': 'redis-tools',
  openssl: 'openssl',
  python3: 'python3',
  chromium: 'chromium',
  // The observability tests: `promtool check/test rules`, and a real Prometheus scraping the apps.
  promtool: 'prometheus',
  prometheus: 'prometheus',
} as const;

export type Tool = keyof typeof PACKAGES;

export class MissingToolError extends Error {
  constructor(readonly tools: readonly Tool[], purpose?: string) {
    const names = tools.join(', ');
    const packages = [...new Set(tools.map((t) => PACKAGES[t]))].join(' ');
    super(`${names} ${tools.length === 1 ? 'is' : 'are'} not installed${purpose ? ` (${purpose})` : ''}: apt-get install ${packages}`);
    this.name = 'MissingToolError';
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** True when `name` (or an absolute path) is an executable file on PATH. */
export function hasTool(name: string): boolean {
  const candidates = name.includes('/') ? [name] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, name));
  return candidates.some((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export function missingTools(tools: readonly Tool[]): Tool[] {
  return tools.filter((tool) => !hasTool(tool));
}

/** Throws a MissingToolError naming every missing one and the apt-get line that installs them. */
export function requireTools(tools: readonly Tool[], purpose?: string): void {
  const missing = missingTools(tools);
  if (missing.length > 0) throw new MissingToolError(missing, purpose);
}
