import { readFileSync } from 'node:fs';

/**
 * Table 6c: each app's highest peak RSS in this run (over all its copies) beside the peak that
 * infra/memory-peaks.json documents, which the containers' memory requests and limits are set from
 * (infra/README.md, "Memory"). A higher peak here means that file and the limits need raising.
 */
export function peaksAgainstDocumented(peakRssMiB: Record<string, number>, file = new URL('../../../infra/memory-peaks.json', import.meta.url)): (string | number)[][] {
  const documented = (JSON.parse(readFileSync(file, 'utf8')) as { peakMiB: Record<string, number> }).peakMiB;
  return Object.entries(documented).flatMap(([app, doc]) => {
    const seen = Object.entries(peakRssMiB).filter(([name]) => name === app || name.startsWith(`${app}-`)).map(([, mib]) => mib);
    if (seen.length === 0) return [];
    const peak = Math.max(...seen);
    return [[app, peak, doc, peak > doc ? 'HIGHER: raise infra/memory-peaks.json and the limits' : 'within']];
  });
}
