// The supervisor: a node agent for one environment on Docker. It runs as a container of the
// environment in the host's network namespace (started last by `dev:up`, removed with it) and
//   - does what the kubelet does for `restartPolicy: Always`: a pod's container that exits (a
//     crash, an OOM kill, a SIGKILL) is started again with the kubelet's back-off (restarts.ts),
//     and what happened is kept in PODS_FILE for `dev:status` (restarts, last state);
//   - does what the kubelet does with livenessProbes: probes every container that carries a
//     liveness label at its address, and stops one after `failureThreshold` consecutive failures
//     (then restarted as above);
//   - does what the cluster's DNS does for pods that are down: says at once that their names do
//     not exist (dns-answerer.ts);
//   - probes each container's readiness as the kubelet does and serves the pod-state series
//     kube-state-metrics would (kube-state.ts) for the environment's Prometheus;
//   - does what the CloudNativePG operator does for ScheduledBackups: takes base backups with
//     pgBackRest in the Cluster's instance when their schedules fire (backup-schedule.ts);
//   - does what Calico's agent does: whenever the environment's containers or their addresses
//     change (a restart may hand out a new IP), it recompiles and re-applies the environment's
//     nftables table.
// It talks to the Docker API over the mounted socket. Configuration: DEVSTACK_ENV (the
// environment's name) and DEVSTACK_FIREWALL (its policies, network and bridge, as JSON).
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { gatewayIn } from "../../docker/network.ts";
import { applyScript } from "../../firewall/nft.ts";
import { LABEL } from "../../labels.ts";
import type { CompiledFirewall } from "../../netpol/nftables.ts";
import { type BackupSchedule, BackupScheduler } from "./backup-schedule.ts";
import { answerUnknownNames } from "./dns-answerer.ts";
import { type FirewallConfig, firewallFor, POD_LABEL } from "./firewall.ts";
import { type PodState, serveKubeState } from "./kube-state.ts";
import { afterExit, newRecord, type PodRecord, restarted, waitingReason } from "./restarts.ts";
import { HELD_DIR, ISOLATED_DIR, PODS_FILE } from "./supervisor-state.ts";

interface ProbeSpec {
  kind: "http" | "tcp" | "exec";
  path?: string;
  port?: number;
  command?: string[];
  periodSeconds: number;
  failureThreshold: number;
}

const ENV = process.env.DEVSTACK_ENV ?? "";
const FIREWALL = process.env.DEVSTACK_FIREWALL
  ? (JSON.parse(process.env.DEVSTACK_FIREWALL) as FirewallConfig)
  : undefined;
let compiled: CompiledFirewall | undefined;
let appliedInputs = "";
let appliedAt = 0;
/** Re-applies at least this often, so a table removed or edited by hand is restored. */
const RESYNC_MS = 10_000;
const log = (level: number, msg: string, extra: object = {}) =>
  console.log(
    JSON.stringify({ level, time: new Date().toISOString(), service: "devstack-supervisor", msg, ...extra }),
  );

function dockerApi(method: string, path: string, json?: object): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = json ? { "content-type": "application/json" } : {};
    const req = request({ socketPath: "/var/run/docker.sock", method, path, headers }, (res) => {
      let body = "";
      res.on("data", (c) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end(json ? JSON.stringify(json) : undefined);
  });
}

/**
 * A command run in a container through the Docker API, as `user` if given: its exit code and
 * output, or undefined when it did not finish within `timeoutMs`.
 */
async function dockerExec(
  id: string,
  command: string[],
  { user, timeoutMs }: { user?: string; timeoutMs?: number } = {},
): Promise<{ exitCode: number; output: string } | undefined> {
  // Attached: the start's answer then ends when the command has (unattached, it ends at once).
  const created = await dockerApi("POST", `/containers/${id}/exec`, {
    Cmd: command,
    ...(user ? { User: user } : {}),
    AttachStdout: true,
    AttachStderr: true,
  });
  if (created.status >= 300) return { exitCode: -1, output: created.body };
  const exec = (JSON.parse(created.body) as { Id: string }).Id;
  const ran = dockerApi("POST", `/exec/${exec}/start`, { Detach: false, Tty: false });
  const timeout = new Promise<undefined>((r) => {
    if (timeoutMs !== undefined) setTimeout(() => r(undefined), timeoutMs);
  });
  const answer = await Promise.race([ran, timeout]);
  if (!answer) return undefined;
  const { body } = await dockerApi("GET", `/exec/${exec}/json`);
  // The attached stream's frame headers are binary: only the text is kept.
  const output = answer.body.replace(/[^\t\n -~]/g, "");
  return { exitCode: (JSON.parse(body) as { ExitCode: number | null }).ExitCode ?? -1, output };
}

/** An exec probe: the command's exit code 0, within 2 s. */
const execProbe = async (id: string, command: string[]) =>
  (await dockerExec(id, command, { timeoutMs: 2_000 }))?.exitCode === 0;

/** Scheduled backups run as postgres, to their end (a backup may take minutes). */
const backups = new BackupScheduler(
  async (id, command) =>
    (await dockerExec(id, command, { user: "postgres" })) ?? { exitCode: -1, output: "" },
  log,
);

function probe(host: string, l: ProbeSpec, id: string): Promise<boolean> {
  if (l.kind === "exec") return execProbe(id, l.command ?? []).catch(() => false);
  if (l.kind === "tcp") {
    return new Promise((resolve) => {
      const socket = connect({ host, port: l.port ?? 0, timeout: 2_000 }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
      socket.on("timeout", () => {
        socket.destroy();
        resolve(false);
      });
    });
  }
  return fetch(`http://${host}:${l.port}${l.path ?? "/"}`, { signal: AbortSignal.timeout(2_000) }).then(
    (r) => r.status >= 200 && r.status < 400,
    () => false,
  );
}

const failures = new Map<string, number>();
const lastProbe = new Map<string, number>();
/**
 * Per pod container name: restarts and last state, as the kubelet keeps them in pod status. A
 * supervisor that replaces another starts from its records (DEVSTACK_PODS), as a kubelet restarted
 * finds the counts in the API server.
 */
const pods = new Map<string, PodRecord>(inheritedRecords());

function inheritedRecords(): [string, PodRecord][] {
  try {
    const records = JSON.parse(process.env.DEVSTACK_PODS ?? "{}") as Record<string, PodRecord>;
    return Object.entries(records).filter(([, r]) => Number.isInteger(r?.restarts));
  } catch {
    log(40, "DEVSTACK_PODS is not JSON: restart counts start at 0");
    return [];
  }
}
/** Containers this supervisor stopped for failing their liveness probe. */
const livenessStopped = new Set<string>();
/** Per container name: its readiness, as the kubelet keeps it (not ready until a probe passes). */
const readiness = new Map<string, { ready: boolean; failures: number; probedAt: number }>();
/** The environment's containers (with their address if running) as of the last tick. */
let seen: SeenContainer[] = [];
type SeenContainer = { Id: string; Names: string[]; Labels: Record<string, string>; ip?: string };

/** A container's name, as the Docker API lists it without its leading slash. */
const nameOf = (c: { Names: string[] }) => (c.Names[0] ?? "").replace(/^\//, "");

function savePods() {
  mkdirSync(PODS_FILE.slice(0, PODS_FILE.lastIndexOf("/")), { recursive: true });
  writeFileSync(PODS_FILE, JSON.stringify(Object.fromEntries(pods)));
}

/** Starts exited pod containers again, as the kubelet does, with its back-off. */
async function restartExited(
  containers: { Id: string; Names: string[]; Labels: Record<string, string>; State: string }[],
) {
  for (const c of containers) {
    if (!c.Labels[POD_LABEL] || (c.State !== "exited" && c.State !== "dead")) continue;
    const name = nameOf(c);
    // Held down on purpose (a chaos experiment's lost node): left alone until released.
    if (existsSync(`${HELD_DIR}/${name}`)) continue;
    const { body } = await dockerApi("GET", `/containers/${c.Id}/json`);
    const state = (
      JSON.parse(body) as {
        State?: { OOMKilled: boolean; ExitCode: number; StartedAt: string; FinishedAt: string };
      }
    ).State;
    if (!state) continue;
    let record = pods.get(name) ?? newRecord();
    if (record.lastFinishedAt !== state.FinishedAt) {
      const exit = {
        oomKilled: state.OOMKilled,
        exitCode: state.ExitCode,
        startedAt: state.StartedAt,
        finishedAt: state.FinishedAt,
        liveness: livenessStopped.delete(name),
      };
      record = afterExit(record, exit, Date.now());
      pods.set(name, record);
      savePods();
      log(40, "container exited", {
        container: name,
        lastState: record.lastState,
        restartInMs: (record.restartAt ?? 0) - Date.now(),
      });
    }
    if ((record.restartAt ?? 0) > Date.now()) continue;
    const result = await dockerApi("POST", `/containers/${c.Id}/start`);
    if (result.status < 300 || result.status === 304) {
      // A new container instance: its probe failures start from nothing, as on the kubelet, and
      // it is not ready until its readiness probe passes.
      failures.delete(name);
      readiness.delete(name);
      record = restarted(record);
      pods.set(name, record);
      savePods();
      log(30, "restarted", { container: name, restarts: record.restarts });
    } else
      log(50, "restart failed", { container: name, status: result.status, body: result.body.slice(0, 200) });
  }
}

/**
 * The pods' states for the pod-state series, readiness probed now as the kubelet keeps it: a
 * container is ready once its probe passed, and not ready after `failureThreshold` failures in a
 * row or when it is not running. Probes run when the series are asked for (no Prometheus, no
 * probes: exec probes cost a process each), at most once per `periodSeconds`, all due at once so
 * one that hangs holds up no other.
 */
async function podStates(containers: SeenContainer[]): Promise<PodState[]> {
  const podContainers = containers.filter((c) => c.Labels[POD_LABEL]);
  await Promise.all(
    podContainers.map(async (c) => {
      const name = nameOf(c);
      const label = c.Labels[LABEL.readiness];
      const state = readiness.get(name) ?? { ready: false, failures: 0, probedAt: 0 };
      if (!c.ip) readiness.set(name, { ready: false, failures: 0, probedAt: 0 });
      else if (!label) readiness.set(name, { ...state, ready: true });
      else {
        const spec = JSON.parse(label) as ProbeSpec;
        if (Date.now() - state.probedAt < spec.periodSeconds * 1000) return;
        const passed = await probe(c.ip, spec, c.Id);
        const failures = passed ? 0 : state.failures + 1;
        const ready = passed || (state.ready && failures < spec.failureThreshold);
        readiness.set(name, { ready, failures, probedAt: Date.now() });
      }
    }),
  );
  const now = Date.now();
  return podContainers.map((c) => {
    const name = nameOf(c);
    const pod = JSON.parse(c.Labels[POD_LABEL] ?? "{}") as { namespace: string; name: string };
    const record = pods.get(name);
    return {
      namespace: pod.namespace,
      pod: pod.name,
      container: c.Labels[LABEL.container] ?? pod.name,
      running: c.ip !== undefined,
      ready: readiness.get(name)?.ready ?? false,
      restarts: record?.restarts ?? 0,
      lastState: record?.lastState,
      crashLooping: waitingReason(record, now) === "CrashLoopBackOff",
    };
  });
}

async function tick() {
  const filters = encodeURIComponent(JSON.stringify({ label: [`dev.azora.devstack.env=${ENV}`] }));
  const { body } = await dockerApi("GET", `/containers/json?all=true&filters=${filters}`);
  const containers = JSON.parse(body) as {
    Id: string;
    Names: string[];
    Labels: Record<string, string>;
    State: string;
    NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> };
  }[];
  const ipOf = (c: (typeof containers)[number]) =>
    c.State === "running"
      ? c.NetworkSettings?.Networks?.[FIREWALL?.network ?? ""]?.IPAddress || undefined
      : undefined;

  if (FIREWALL) {
    // Recompiled only when the pods or their addresses changed; re-applied then, or to resync.
    const running = containers.map((c) => ({
      labels: c.Labels,
      ip: ipOf(c),
      isolated: existsSync(`${ISOLATED_DIR}/${nameOf(c)}`),
    }));
    const inputs = JSON.stringify(running.map((c) => [c.labels[POD_LABEL], c.ip, c.isolated]));
    const changed = inputs !== appliedInputs;
    if (changed || !compiled) compiled = firewallFor(FIREWALL, running);
    if (changed || Date.now() - appliedAt > RESYNC_MS) {
      await applyScript(compiled.script, `environment '${ENV}'`);
      appliedInputs = inputs;
      appliedAt = Date.now();
      if (changed) log(30, "firewall applied", { table: compiled.table, ...compiled.stats });
    }
  }

  await restartExited(containers);
  seen = containers.map((c) => ({ ...c, ip: ipOf(c) }));
  backups.tick(
    seen
      .filter((c) => c.Labels[LABEL.backupSchedules])
      .map((c) => ({
        Id: c.Id,
        name: nameOf(c),
        running: c.ip !== undefined,
        schedules: JSON.parse(c.Labels[LABEL.backupSchedules] ?? "[]") as BackupSchedule[],
      })),
  );

  for (const c of containers) {
    const name = nameOf(c);
    const label = c.Labels[LABEL.liveness];
    const ip = ipOf(c);
    if (!ip) failures.delete(name); // not running: whatever starts it next starts afresh
    if (!label || !ip) continue;
    const l = JSON.parse(label) as ProbeSpec;
    if (Date.now() - (lastProbe.get(name) ?? 0) < l.periodSeconds * 1000) continue;
    lastProbe.set(name, Date.now());
    if (await probe(ip, l, c.Id)) {
      failures.set(name, 0);
      continue;
    }
    const count = (failures.get(name) ?? 0) + 1;
    failures.set(name, count);
    log(40, "liveness probe failed", { container: name, failures: count, threshold: l.failureThreshold });
    if (count >= l.failureThreshold) {
      failures.set(name, 0);
      // Stopped (its grace period given); the exit is then restarted like any other, counted.
      livenessStopped.add(name);
      const result = await dockerApi("POST", `/containers/${c.Id}/stop?t=10`);
      log(
        result.status < 300 ? 30 : 50,
        result.status < 300 ? "stopped after failed liveness probes" : "stop failed",
        { container: name, status: result.status },
      );
    }
  }
}

log(30, "supervising", { env: ENV });
savePods();
if (FIREWALL) {
  const { body } = await dockerApi("GET", `/networks/${FIREWALL.network}`);
  const gateway = gatewayIn(
    (JSON.parse(body) as { IPAM?: { Config?: { Gateway?: string; Subnet?: string }[] } }).IPAM?.Config?.[0],
  );
  if (gateway) {
    answerUnknownNames(gateway, log);
    serveKubeState(gateway, () => podStates(seen), log);
  } else log(40, "no gateway address on the network: names of pods that are down resolve slowly", { body });
}
for (;;) {
  await tick().catch((error: Error) => log(50, "supervisor tick failed", { err: error.message }));
  await new Promise((r) => setTimeout(r, 1_000));
}
