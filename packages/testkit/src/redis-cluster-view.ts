// What each node of a test cluster says about itself and the others (CLUSTER NODES, CLUSTER INFO,
// INFO replication), and the list of reasons, if any, why the cluster is not healthy yet.
import type { ClusterNodeProcess } from './redis-cluster-node.js';

export const SLOT_COUNT = 16_384;

/** One line of CLUSTER NODES. */
export interface NodeLine {
  id: string;
  port: number;
  flags: string[];
  masterId?: string;
  configEpoch: number;
  /** Stable ownership only: the `[slot->-id]` migration markers are left out. */
  slots: [number, number][];
}

/** One node's own view, read in one round trip. */
export interface NodeReport {
  port: number;
  self: NodeLine;
  lines: NodeLine[];
  info: Record<string, string>;
  replication: Record<string, string>;
}

export function parseClusterNodes(text: string): NodeLine[] {
  return text.trim().split('\n').filter(Boolean).map((line) => {
    const [id = '', address = '', flags = '', master = '-', , , epoch = '0', , ...slotTokens] = line.trim().split(' ');
    const slots = slotTokens.filter((token) => !token.startsWith('[')).map((token): [number, number] => {
      const [from = '', to = from] = token.split('-');
      return [Number(from), Number(to)];
    });
    return {
      id,
      port: Number(/:(\d+)@/.exec(address)?.[1] ?? 0),
      flags: flags.split(','),
      ...(master === '-' ? {} : { masterId: master }),
      configEpoch: Number(epoch),
      slots,
    };
  });
}

const isMaster = (line: NodeLine) => line.flags.includes('master');

function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf(':');
    if (at > 0) fields[line.slice(0, at)] = line.slice(at + 1).trim();
  }
  return fields;
}

/** The node's own view, or undefined when it does not answer. */
export async function readReport(node: ClusterNodeProcess): Promise<NodeReport | undefined> {
  const admin = node.admin;
  if (!admin) return undefined;
  try {
    const results = await admin.pipeline().cluster('NODES').cluster('INFO').info('replication').exec();
    const [nodes, info, replication] = (results ?? []).map(([err, value]) => {
      if (err) throw err;
      return String(value);
    });
    const lines = parseClusterNodes(nodes ?? '');
    const self = lines.find((line) => line.flags.includes('myself'));
    if (!self) return undefined;
    return { port: node.port, self, lines, info: parseInfo(info ?? ''), replication: parseInfo(replication ?? '') };
  } catch {
    return undefined;
  }
}

/** Masters as a sorted `id:ranges` list, so views that agree on ownership compare equal. */
const ownership = (lines: NodeLine[]) =>
  lines.filter((l) => isMaster(l) && l.slots.length > 0).map((l) => `${l.id}:${l.slots.map((r) => r.join('-')).join(',')}`).sort().join(' ');

/**
 * Why the cluster is not healthy, empty when it is. `up` are the nodes the test wants running; nodes it
 * killed may be flagged failed, but must own no slot and be no replica's master.
 */
export function clusterProblems(up: ClusterNodeProcess[], reports: (NodeReport | undefined)[], { replicasSynced }: { replicasSynced: boolean }): string[] {
  const problems: string[] = [];
  const upIds = new Set(up.map((node) => node.id));
  const answered = reports.filter((r): r is NodeReport => r !== undefined);
  up.forEach((node, i) => reports[i] === undefined && problems.push(`:${node.port} does not answer`));
  for (const { port, self, lines, info, replication } of answered) {
    if (info.cluster_state !== 'ok') problems.push(`:${port} cluster_state:${info.cluster_state}`);
    if (info.cluster_slots_ok !== String(SLOT_COUNT)) problems.push(`:${port} sees ${info.cluster_slots_ok} of ${SLOT_COUNT} slots ok`);
    for (const id of upIds) if (!lines.some((line) => line.id === id)) problems.push(`:${port} does not know ${id}`);
    for (const line of lines) {
      const bad = line.flags.filter((flag) => ['fail', 'fail?', 'handshake', 'noaddr'].includes(flag));
      if (upIds.has(line.id) && bad.length > 0) problems.push(`:${port} flags :${line.port} ${bad.join(',')}`);
      if (!upIds.has(line.id) && isMaster(line) && line.slots.length > 0) problems.push(`:${port} sees slots on :${line.port}, which is down`);
    }
    if (!isMaster(self) && replicasSynced) {
      if (!self.masterId || !upIds.has(self.masterId)) problems.push(`:${port} replicates a node that is down`);
      else if (replication.master_link_status !== 'up') problems.push(`:${port} master_link_status:${replication.master_link_status}`);
    }
  }
  if (new Set(answered.map((report) => ownership(report.lines))).size > 1) problems.push('the nodes disagree on who owns which slots');
  return problems;
}
