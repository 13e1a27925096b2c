const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'name', 'service', 'msg']);

/** One pino JSON line as a short human line: `[sender] WARN  message key=value …`. */
export function formatLogLine(app: string, line: Record<string, unknown>): string {
  const level = LEVELS[Number(line.level)] ?? String(line.level);
  const extras = Object.entries(line)
    .filter(([key]) => !SKIP.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join(' ');
  return `[${app.padEnd(7)}] ${level} ${String(line.msg ?? '')}${extras ? `  ${extras}` : ''}`;
}
