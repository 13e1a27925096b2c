import { clusterReady, createRedisClient, parseClusterNodes, type RedisClient } from '@outboundiq/core';
import { startRedisCluster, type RedisCluster } from '@outboundiq/testkit';
import { Redis } from 'ioredis';
import { redisCpuSeconds } from './procs.js';

/**
 * Where a pipeline run keeps its data: the bench's one Redis, or a Redis Cluster. Everything a run
 * does to Redis itself (flush, CLIENT LIST, INFO) goes to each master through a plain client of its
 * own, so that the same code measures one Redis and a cluster.
 */
export interface PipelineBackend {
  label: string;
  shards: number;
  /** For the webhook store: the one Redis, or a cluster client. */
  client: RedisClient;
  /** One plain client per master (on one Redis: that Redis). */
  masters: readonly Redis[];
  replicas: readonly Redis[];
  /** What the apps are given: REDIS_URL or REDIS_CLUSTER_NODES, and SHARDS. */
  appEnv: Record<string, string>;
  producer: { redisUrl: string } | { clusterNodes: string[] };
  /** Every key of every prefix gone (replicas follow their masters). */
  flush(): Promise<void>;
  /** Which slots each master serves, by `host:port`; undefined slots = all of them (one Redis). */
  slotsByMaster(): Promise<Map<string, [number, number][] | undefined>>;
}

export const nodeAddress = (node: Redis): string => `${node.options.host ?? '127.0.0.1'}:${node.options.port ?? 6379}`;

export function oneRedisBackend(redis: Redis, url: string, shards: number): PipelineBackend {
  return {
    label: `one Redis, S = ${shards}`,
    shards,
    client: redis,
    masters: [redis],
    replicas: [],
    appEnv: { REDIS_URL: url, SHARDS: String(shards) },
    producer: { redisUrl: url },
    flush: async () => void (await redis.flushdb()),
    slotsByMaster: async () => new Map([[nodeAddress(redis), undefined]]),
  };
}

export interface ClusterBackend extends PipelineBackend {
  cluster: RedisCluster;
  /** Process ids of the masters, by `host:port` (for peak RSS). */
  masterPids: Map<string, number>;
  stop(): Promise<void>;
}

export interface ClusterSettings {
  masters: number;
  replicasPerMaster: number;
  /**
   * Off, like the bench's one Redis (startRedisServer's default): with `appendfsync always` the
   * comparison would measure six fsyncing processes against one that never touches the disk.
   */
  appendOnly: boolean;
  shards: number;
}

/** A local cluster of its own (startRedisCluster), with the clients a run needs; stop() removes it all. */
export async function startClusterBackend(settings: ClusterSettings): Promise<ClusterBackend> {
  const cluster = await startRedisCluster({ masters: settings.masters, replicasPerMaster: settings.replicasPerMaster, appendOnly: settings.appendOnly });
  const admins: Redis[] = [];
  let client: RedisClient | undefined;
  try {
    const nodes = await cluster.nodes();
    const admin = (port: number) => {
      const node = new Redis({ host: '127.0.0.1', port, connectionName: 'bench-admin', maxRetriesPerRequest: 1 });
      admins.push(node);
      return node;
    };
    const masters = nodes.filter((n) => n.role === 'master').map((n) => admin(n.port));
    const replicas = nodes.filter((n) => n.role === 'replica').map((n) => admin(n.port));
    const ready = createRedisClient({ cluster: parseClusterNodes(cluster.seeds), role: 'worker', name: 'bench' });
    client = ready;
    await clusterReady(ready);
    return {
      label: `Redis Cluster ${settings.masters}+${settings.masters * settings.replicasPerMaster}, S = ${settings.shards}`,
      shards: settings.shards,
      client: ready,
      masters,
      replicas,
      appEnv: { REDIS_CLUSTER_NODES: cluster.seeds, SHARDS: String(settings.shards) },
      producer: { clusterNodes: cluster.seeds.split(',') },
      cluster,
      masterPids: new Map(nodes.filter((n) => n.role === 'master').map((n) => [`127.0.0.1:${n.port}`, n.pid])),
      flush: async () => void (await Promise.all(masters.map((m) => m.flushall()))),
      slotsByMaster: async () => new Map((await cluster.masters()).map((m) => [`127.0.0.1:${m.port}`, m.slots])),
      async stop() {
        ready.disconnect();
        for (const node of admins) node.disconnect();
        await cluster.stop();
      },
    };
  } catch (err) {
    client?.disconnect();
    for (const node of admins) node.disconnect();
    await cluster.stop();
    throw err;
  }
}

/** What one master did over a measured interval. */
export interface MasterSample {
  /** `host:port` */
  node: string;
  /** total_commands_processed (INFO stats): every command, each script call counting once. */
  commands: number;
  /** used_cpu_sys + used_cpu_user (INFO cpu). */
  cpuSeconds: number;
}

async function masterCounters(node: Redis): Promise<{ commands: number; cpu: number }> {
  const stats = await node.info('stats');
  return { commands: Number(/^total_commands_processed:(\d+)/m.exec(stats)?.[1] ?? 0), cpu: await redisCpuSeconds(node) };
}

/** Starts counting each master's commands and CPU; the function returned reads the differences. */
export async function masterMeter(masters: readonly Redis[]): Promise<() => Promise<MasterSample[]>> {
  const before = await Promise.all(masters.map(masterCounters));
  return async () => {
    const after = await Promise.all(masters.map(masterCounters));
    return masters.map((node, i) => ({
      node: nodeAddress(node),
      commands: after[i]!.commands - before[i]!.commands,
      cpuSeconds: Math.round((after[i]!.cpu - before[i]!.cpu) * 1e3) / 1e3,
    }));
  };
}
