import type { EnvFile } from "../config/env-file.ts";
import type { EnvState } from "../env/state.ts";
import type { RuntimeSupport } from "../manifests/plan.ts";
import type { Protocol } from "../netpol/model.ts";

/**
 * The seam between DevStack's commands and suites and the engines that run an environment. Scripts
 * and suites know this interface alone; `runtimes/docker/` implements it on one Docker engine
 * (containers, host firewall rules, a supervisor standing in for the kubelet).
 */

export type Progress = (line: string) => void;

export interface UpOptions {
  /** The environment's name (labels, network, state file). */
  name: string;
  envFile: EnvFile;
  /** One line per finished step, and finer progress inside long ones. */
  progress: Progress;
  /** false: the data is already there (a restore brought it), the env file's seed is not loaded. */
  seed?: boolean;
}

export interface UpResult {
  state: EnvState;
  /** The environment was already up: nothing new was created. */
  reused: boolean;
  /** What of a reused environment had stopped and was started again (its nodes), if anything. */
  restarted?: string;
}

/** One step `up` would take, for `--dry-run`: its name and exactly what it would do. */
export interface PlannedAction {
  action: string;
  does: string[];
}

export interface WorkloadStatus {
  workload: string;
  desired: number;
  /** Replicas running and passing their readiness probe now. */
  ready: number;
  health: "ready" | "degraded" | "down";
  /** Loopback ports, e.g. `127.0.0.1:32768->5432`, or `-`. */
  ports: string;
  age: string;
  /** Restarts of its replicas since they were created (the kubelet's RESTARTS). */
  restarts: number;
  /** Why replicas last stopped, or are waiting, e.g. `user-service-1: OOMKilled`; `-` if none did. */
  lastState: string;
  /** Each replica, as `kubectl get pods` lists them. */
  pods: PodStatus[];
}

export interface PodStatus {
  /** The pod's name, e.g. `redis-0`. */
  pod: string;
  ready: boolean;
  /** Restarts of its containers since it was created. */
  restarts: number;
  /** Why it last stopped, or why it is waiting, e.g. `OOMKilled`; `-` if it never stopped. */
  lastState: string;
}

export interface EnvironmentStatus {
  state: EnvState;
  workloads: WorkloadStatus[];
  /** Whether the environment's NetworkPolicies are in force, and the one line that says so. */
  policies: { enforced: boolean; detail: string };
  /**
   * On Kubernetes, each LoadBalancer Service's address as the cluster's load-balancer controller
   * gave it (`HOST:PORT`), by Service; absent where none did (Kind, Docker).
   */
  loadBalancers?: Record<string, string>;
}

/** One environment or run found in the engine, for `env:list`. */
export interface EnvironmentListing {
  name: string;
  runtime: RuntimeName;
  /** Who made it (the owner label). */
  owner: string;
  /** An environment's env file (dev, pr, nightly), or a run's purpose (test, build). */
  purpose: string;
  /** When it was made, where its record says. */
  createdAt?: string;
  status: string;
  /** What it holds in the engine, e.g. `6/1/1` containers/networks/volumes. */
  holds: string;
  expires: string;
  /** Why `env:gc` would remove it, if it would. */
  stale?: string;
  /** The test run whose test made it, if one did. */
  testRun?: string;
}

export interface Collected {
  /** `env NAME` or `run HOST:PID:START`. */
  what: string;
  reason: string;
  /** What was (or, in a dry run, would be) removed. */
  removed: string[];
}

export interface LogOptions {
  workload?: string;
  follow: boolean;
  tail: number;
  line: (source: string, text: string) => void;
}

/** One pod of a running environment, as suites address it. */
export interface PodRef {
  /** `namespace/name`, the name as NetworkPolicy matrices show it. */
  pod: string;
  workload: string;
  replica: number;
  labels: Record<string, string>;
}

/** A service a pod calls, as the pod names it. */
export interface Upstream {
  host: string;
  port: number;
}

/**
 * A Toxiproxy toxic on the answers coming back from the upstream: `latency` delays each of them,
 * `reset_peer` resets every connection after `afterMs` (0: at once).
 */
export type Toxic =
  | { type: "latency"; latencyMs: number; jitterMs?: number }
  | { type: "reset_peer"; afterMs: number };

/**
 * Faults a chaos experiment injects into one environment. Each returns when the fault is in
 * place; `heal` removes every fault this handle injected that is still in force.
 */
export interface Faults {
  /** Kills the pod's main process (SIGKILL), as an OOM kill would; it is restarted as usual. */
  kill(pod: string): Promise<void>;
  /**
   * Kills the pod and keeps it down, as a crashed node does, until `up`. On Kind the pod is
   * deleted at once and its controller makes it again (a database instance under the same name).
   */
  down(pod: string): Promise<void>;
  /** Brings a pod held `down` back (its node returns); on Kind, waits until a remade instance is ready. */
  up(pod: string): Promise<void>;
  /** Freezes every process of the pod (it holds its connections and answers nothing). */
  pause(pod: string): Promise<void>;
  resume(pod: string): Promise<void>;
  /** Cuts the pod off its network: nothing in or out, connections hang. */
  isolate(pod: string): Promise<void>;
  reconnect(pod: string): Promise<void>;
  /**
   * Puts a Toxiproxy between the pod and one service it calls (`host:port`; its other traffic is
   * untouched) and cuts the pod's open connections to it, so it reconnects through the proxy;
   * once those connections are made, the toxics are added. In force until `restore`.
   */
  degrade(pod: string, upstream: Upstream, toxics: readonly Toxic[]): Promise<void>;
  /** Removes the toxics, then the proxy: the pod's connections through it close and are made again directly. */
  restore(pod: string): Promise<void>;
  /**
   * Restarts the container engine the environment runs on (every container on the machine stops;
   * none comes back by itself, as after a reboot). Resolves once the engine answers again.
   */
  restartEngine(): Promise<void>;
  /** Kills the agent that restarts pods and keeps policies current (the supervisor; a kubelet). */
  killNodeAgent(): Promise<void>;
  nodeAgentRunning(): Promise<boolean>;
  heal(): Promise<void>;
}

export interface PolicyObservation {
  from: string;
  to: string;
  protocol: Protocol;
  port: number;
  expected: boolean;
  outcome: "open" | "refused" | "timeout" | "error";
  reached: boolean;
}

export interface PolicyProbeReport {
  pods: number;
  observations: PolicyObservation[];
  /** Reasons the policies are not in force for some pod (it is reachable some other way). */
  problems: string[];
}

/** One instance of the environment's PostgreSQL cluster, as `kubectl cnpg status` shows it. */
export interface DatabaseMember {
  name: string;
  /** The pod it runs in (`azora/azora-db-2`), for faults. */
  pod: string;
  role: "primary" | "replica";
  /** `running`, `streaming`, `stopped`, ... */
  state: string;
  timeline: number;
  /** Replication lag in MB (0 for the primary); undefined when unknown. */
  lagMb?: number;
  /**
   * A replica's part in synchronous replication as the primary sees it (pg_stat_replication's
   * sync_state: `sync`, `quorum`, `potential` or `async`); undefined for the primary or when unknown.
   */
  sync?: string;
}

/** The environment's PostgreSQL cluster: its members, and the operations CNPG's plugin offers. */
export interface Database {
  members(): Promise<DatabaseMember[]>;
  /** A planned change of primary (to `to`, or any suitable replica); resolves to the new primary. */
  switchover(to?: string): Promise<string>;
  /** Promotes `to` whatever the primary's state (the CNPG plugin's `promote`); resolves to it. */
  failover(to: string): Promise<string>;
}

/** What suites get: how to reach the environment, its pods, and faults to inject. */
export interface EnvironmentHandle {
  name: string;
  runtime: RuntimeName;
  /** Host-side URLs by workload: `postgres`, `redis`, each HTTP service, `loadbalancer/NAME`. */
  endpoints: Record<string, string>;
  pods(): Promise<PodRef[]>;
  /** Runs a command in a pod's (first) container and resolves to its output (`kubectl exec`). */
  exec(pod: string, command: string[]): Promise<string>;
  faults: Faults;
  database: Database;
}

/** One base backup in an environment's backup repository. */
export interface BackupInfo {
  label: string;
  /** full, diff or incr. */
  type: string;
  startedAt: string;
  stoppedAt: string;
  /** What it takes in the repository (compressed, without what earlier backups hold)... */
  bytes: number;
  /** ...and the size of the database it copies. */
  databaseBytes: number;
}

/** An environment's backups: they outlive it, so a restore can bring it back after it is gone. */
export interface BackupRepository {
  env: string;
  /** The env file and components it was brought up with. */
  envFile: string;
  with: string[];
  backups: BackupInfo[];
  /** The archived WAL, first and last segment (undefined before the first is archived). */
  wal?: { first: string; last: string };
}

export interface RestoreOptions {
  /** The environment whose backups are restored. */
  from: string;
  /** The environment to bring up with them. */
  into: string;
  /** Point in time to recover to; the end of the archived WAL when undefined. */
  to?: Date;
  /** Replace `into` if it exists (its data is lost). */
  force: boolean;
  progress: Progress;
}

export interface RestoreResult {
  state: EnvState;
  /** Seconds spent restoring the files and replaying WAL, then bringing the environment up. */
  recoverySeconds: number;
  upSeconds: number;
}

/** Production's backups (a Cluster's `spec.backup`) and point-in-time restore. */
export interface Backups {
  /** A base backup of the environment's database now. */
  take(env: string): Promise<BackupInfo>;
  list(): Promise<BackupRepository[]>;
  restore(options: RestoreOptions): Promise<RestoreResult>;
  /** Removes an environment's backups (refused while the environment runs). */
  remove(env: string): Promise<void>;
  /** Whether the environment has a backup repository (it outlives the environment). */
  kept(env: string): Promise<boolean>;
  /**
   * Whether its backups are kept while it has no data (its database is gone): they are an earlier
   * database's, and a new one could not archive beside them.
   */
  orphaned(env: string): Promise<boolean>;
}

export interface Runtime {
  readonly name: RuntimeName;
  /** The kinds of object it runs and those it ignores (and why). */
  readonly support: RuntimeSupport;
  /** Fails with one message saying what to do when what it needs (an engine, a CLI) is missing. */
  ensureAvailable(): Promise<void>;
  /** Every action `up` would take for this env file, in order; starts nothing. */
  dryRun(options: Omit<UpOptions, "progress">): Promise<PlannedAction[]>;
  /** Brings the environment up (idempotent: a healthy one is reused). */
  up(options: UpOptions): Promise<UpResult>;
  /** Removes what an interrupted `up` created (data kept), after Ctrl-C. */
  abandon(name: string): Promise<void>;
  /** Removes the environment; with keepData its data and secrets stay for the next `up`. Resolves to how much was removed. */
  down(name: string, options?: { keepData?: boolean }): Promise<number>;
  status(name: string): Promise<EnvironmentStatus>;
  logs(name: string, options: LogOptions): Promise<void>;
  /** The environment as suites see it; fails unless it is up. */
  open(name: string): Promise<EnvironmentHandle>;
  list(): Promise<EnvironmentListing[]>;
  /**
   * Removes (unless dryRun) what expired or crashed runs left behind; with testRunsOnly, only what
   * killed test runs left (a test run's set-up, which must not judge a developer's environments).
   */
  gc(options?: { dryRun?: boolean; testRunsOnly?: boolean }): Promise<Collected[]>;
  /** Probes every pair of pods on every declared port and compares with the NetworkPolicy engine. */
  probePolicies(name: string, options: { timeoutMs: number }): Promise<PolicyProbeReport>;
  readonly backups: Backups;
}

export const RUNTIME_NAMES = ["docker", "kind", "cluster"] as const;
export type RuntimeName = (typeof RUNTIME_NAMES)[number];
