// The commands a README gives, as a reader would copy them: every line of a shell block
// (continuations joined, comments dropped) and every inline code span that starts with a program.
// The README checks (system-tests, infra-tests) hold a table of how each one is exercised, so a
// command that is added or changed in a README and not in its table fails the check.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './apps.js';

export interface DocumentedCommand {
  /** Repository-relative path of the README. */
  file: string;
  /** 1-based line where the command starts. */
  line: number;
  /** The command as written, on one line, without its comment. */
  text: string;
  /** Its `&&`-separated steps: a reader runs them in order, so each is checked on its own. */
  steps: string[];
  inline: boolean;
}

const SHELL_FENCE = /^(\s*)```(?:sh|bash|shell|console)\s*$/;
const ANY_FENCE = /^\s*```/;
/** An inline span is a command when it starts with one of these (`SHARDS=16` or `--only cluster` are not). */
const PROGRAMS = new Set([
  'apt-get', 'bash', 'cd', 'curl', 'docker', 'gcloud', 'git', 'kubectl', 'kustomize', 'node', 'npm', 'npx',
  'openssl', 'pnpm', 'redis-cli', 'redis-server', 'sh',
]);

export function readmeCommands(file: string): DocumentedCommand[] {
  return commandsOf(readFileSync(join(REPO_ROOT, file), 'utf8'), file);
}

export function commandsOf(markdown: string, file: string): DocumentedCommand[] {
  const lines = markdown.split('\n');
  const commands: DocumentedCommand[] = [];
  const prose: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const shell = SHELL_FENCE.exec(lines[i]!);
    if (!shell && !ANY_FENCE.test(lines[i]!)) {
      prose.push(lines[i]!);
      continue;
    }
    // Fenced blocks are blanked out of the prose, so their backticks never open an inline span.
    prose.push('');
    let pending: { line: number; text: string } | undefined;
    for (i++; i < lines.length && !ANY_FENCE.test(lines[i]!); i++) {
      prose.push('');
      if (!shell) continue;
      const raw = lines[i]!.slice(Math.min(shell[1]!.length, lines[i]!.length - lines[i]!.trimStart().length));
      const code = withoutComment(raw).trimEnd();
      const continued = code.endsWith('\\');
      const piece = (continued ? code.slice(0, -1) : code).trim();
      pending = pending ? { line: pending.line, text: `${pending.text} ${piece}` } : { line: i + 1, text: piece };
      if (continued) continue;
      if (pending.text !== '') commands.push(command(file, pending.line, pending.text, false));
      pending = undefined;
    }
    prose.push('');
  }
  commands.push(...inlineCommands(prose.join('\n'), file));
  return commands.sort((a, b) => a.line - b.line);
}

function inlineCommands(prose: string, file: string): DocumentedCommand[] {
  const found: DocumentedCommand[] = [];
  for (const match of prose.matchAll(/`([^`]+)`/g)) {
    // A span may wrap onto the next line of the paragraph; a reader copies it as one line.
    const text = match[1]!.replace(/\s*\n\s*/g, ' ').trim();
    // A program's bare name (`redis-server`) names it in prose; a command has arguments.
    const words = text.split(' ');
    if (words.length < 2 || !PROGRAMS.has(words[0]!)) continue;
    const line = prose.slice(0, match.index).split('\n').length;
    found.push(command(file, line, text, true));
  }
  return found;
}

function command(file: string, line: number, text: string, inline: boolean): DocumentedCommand {
  return { file, line, text, steps: splitOutsideQuotes(text, ' && ').map((s) => s.trim()), inline };
}

/** The line up to a `#` that starts a shell comment (at the start or after a blank, outside quotes). */
export function withoutComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) {
      return line.slice(0, i);
    }
  }
  return line;
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (text.startsWith(separator, i)) {
      parts.push(text.slice(start, i));
      start = i + separator.length;
      i = start - 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

export interface CoverageProblem {
  where: string;
  step: string;
}

/**
 * Steps of the READMEs that the table does not account for, and table entries that no README uses
 * any more (a stale entry would hide that its command was removed or reworded).
 */
export function coverage(commands: readonly DocumentedCommand[], table: Readonly<Record<string, unknown>>): { unaccounted: CoverageProblem[]; unused: string[] } {
  const used = new Set<string>();
  const unaccounted: CoverageProblem[] = [];
  for (const cmd of commands) {
    for (const step of cmd.steps) {
      if (step in table) used.add(step);
      else unaccounted.push({ where: `${cmd.file}:${cmd.line}`, step });
    }
  }
  return { unaccounted, unused: Object.keys(table).filter((step) => !used.has(step)) };
}
