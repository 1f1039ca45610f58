// DevStack's NetworkPolicy agent: what Calico's felix does on each node, for Kind clusters where
// Calico cannot be pulled (kube-network-policies, upstream's agent, needs NFQUEUE, which our hosts'
// kernels lack). One per node (a DaemonSet on the node's network, with CAP_NET_ADMIN): it keeps the
// cluster's namespaces, pods and NetworkPolicies in informers (a list, then a watch, as a
// controller does), compiles them with the same compiler as the Docker runtime's firewall
// (src/netpol/nftables.ts, scoped to the pod ranges) and replaces its nftables table in one
// transaction whenever the result changes. Ready once the first table is in force.
// A pod's first packets leave before its kubelet reports its address, so the node's CNI hands the
// address over as Calico's plugin does: the node's last CNI plugin (azora-policy-handoff) writes
// HANDOFF_DIR/pending/NAMESPACE_NAME holding it and waits, while the agent says it is alive by
// touching HANDOFF_DIR/agent; the agent applies a table with that address and removes the file.
// Other nodes' agents learn the address only from the API server: what arrives from another node
// with an address they do not know yet was judged by its own node's table (UPLINK).
// Configuration: POD_RANGES (comma-separated CIDRs), READY_FILE, HANDOFF_DIR (none: no handoff), UPLINK.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  ListWatch,
  Watch,
} from "@kubernetes/client-node";
import { applyScript } from "../../../firewall/nft.ts";
import { compileFirewall } from "../../../netpol/nftables.ts";
import { type ApiNamespace, type ApiPod, firewallModelOf } from "./model.ts";

const POD_RANGES = (process.env.POD_RANGES ?? "").split(",").filter(Boolean);
/** The node's interface to the other nodes (FirewallScope's uplink); none: every source judged here. */
const UPLINK = process.env.UPLINK ?? "";
const READY_FILE = process.env.READY_FILE ?? "/tmp/applied";
/** Changes arriving together (a Deployment's pods) make one table: the compile waits this long. */
const SETTLE_MS = 50;
/** Re-applies this often, so a table removed or edited by hand is restored. */
const RESYNC_MS = 10_000;
/** After a watch fails (an API server restarting), its informer lists and watches again after this. */
const RESTART_MS = 1_000;
const HANDOFF_DIR = process.env.HANDOFF_DIR ?? "";
/** How often the handed-off addresses are read: a pod's sandbox is waiting on them. */
const HANDOFF_POLL_MS = 100;
/** A handoff no pod of the cache claims for this long is dropped (its pod was deleted at once). */
const HANDOFF_STALE_MS = 60_000;

const log = (msg: string, extra: object = {}) =>
  console.log(
    JSON.stringify({ time: new Date().toISOString(), service: "devstack-policy-agent", msg, ...extra }),
  );

if (POD_RANGES.length === 0) {
  log("POD_RANGES is empty: set it to the cluster's pod CIDRs");
  process.exit(2);
}

const config = new KubeConfig();
// The service account's token file, re-read as the kubelet rotates it.
config.loadFromCluster();
const SA = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * A list as the API server answers it. The library's typed lists rename fields (a rule's `from`
 * becomes `_from`), which the engine would refuse; its watch hands the objects on as sent.
 */
async function list<T extends KubernetesObject>(path: string): Promise<KubernetesListObject<T>> {
  const token = readFileSync(`${SA}/token`, "utf8").trim();
  const response = await fetch(`${config.getCurrentCluster()?.server}${path}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as KubernetesListObject<T>;
}

const informer = (path: string) => new ListWatch(path, new Watch(config), () => list(path), false);
const caches = {
  namespaces: informer("/api/v1/namespaces"),
  pods: informer("/api/v1/pods"),
  policies: informer("/apis/networking.k8s.io/v1/networkpolicies"),
};
/** The informers that have listed once: until all three have, the model would be partial. */
const synced = new Set<string>();

/**
 * Addresses the node's CNI handed over, by `namespace/name`: kept after the plugin is released
 * until the kubelet reports the pod's own (dropped sooner, the pod's address would leave the table
 * for the moment in between), or for a minute when no such pod appears (deleted at once).
 */
const handedOff = new Map<string, { address: string; at: number }>();
const pendingDir = () => join(HANDOFF_DIR, "pending");
/** The file the CNI plugin wrote for a pod (names hold no `_`, so it splits unambiguously). */
const handoffFile = (key: string) => join(pendingDir(), key.replace("/", "_"));

/** Reads the plugin's files; a new or changed address makes a sync. */
function readHandoffs() {
  let changed = false;
  for (const file of readdirSync(pendingDir())) {
    const key = file.replace("_", "/");
    try {
      const address = readFileSync(join(pendingDir(), file), "utf8").trim();
      if (handedOff.get(key)?.address === address) continue;
      handedOff.set(key, { address, at: Date.now() });
      changed = true;
    } catch {
      // Removed meanwhile (the plugin's DEL, or this agent).
    }
  }
  if (changed) schedule(0);
}

/** Removes a pod's file unless it holds a newer handoff (the pod made again under its name). */
function removeHandoffFile(key: string, address: string) {
  try {
    if (readFileSync(handoffFile(key), "utf8").trim() === address) rmSync(handoffFile(key), { force: true });
  } catch {
    // Already gone.
  }
}

/**
 * Once a table holding them is in force: the files of pods the model had are removed (their
 * sandboxes stop waiting); addresses the kubelet now reports itself, and stale ones, are forgotten.
 */
function releaseHandoffs(offered: ReadonlyMap<string, string>, pods: readonly ApiPod[]) {
  const byKey = new Map(pods.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
  for (const [key, address] of offered) if (byKey.has(key)) removeHandoffFile(key, address);
  for (const [key, { address, at }] of handedOff) {
    if (!byKey.get(key)?.status?.podIP && Date.now() - at < HANDOFF_STALE_MS) continue;
    handedOff.delete(key);
    removeHandoffFile(key, address);
  }
}

let applied = "";
/** Set every RESYNC_MS: the next sync applies the table even if it has not changed. */
let resyncDue = false;
let lastError = "";

async function sync(): Promise<void> {
  if (synced.size < Object.keys(caches).length) return;
  // The informers hold the objects as the API server sent them.
  const pods = caches.pods.list() as unknown as ApiPod[];
  const offered = new Map([...handedOff].map(([key, { address }]) => [key, address]));
  const firewall = compileFirewall(
    "netpol",
    { podRanges: POD_RANGES, ...(UPLINK ? { uplink: UPLINK } : {}) },
    firewallModelOf(
      caches.namespaces.list() as unknown as ApiNamespace[],
      pods,
      caches.policies.list(),
      offered,
    ),
  );
  if (firewall.script !== applied || resyncDue) {
    await applyScript(firewall.script, "the cluster's NetworkPolicies");
    if (firewall.script !== applied) log("applied", { table: firewall.table, ...firewall.stats });
    if (!applied) writeFileSync(READY_FILE, `${new Date().toISOString()}\n`);
    applied = firewall.script;
    resyncDue = false;
  }
  if (HANDOFF_DIR) releaseHandoffs(offered, pods);
}

// One sync at a time; a change during a sync makes one more after it.
let running: Promise<void> | undefined;
let again = false;
let timer: NodeJS.Timeout | undefined;
function schedule(delayMs = SETTLE_MS) {
  if (timer) return;
  timer = setTimeout(() => {
    timer = undefined;
    if (running) {
      again = true;
      return;
    }
    // On an error the table in force stays as it is (the last good rules), and the error is
    // logged once until it changes: a policy the compiler refuses, an API server restarting.
    running = sync()
      .then(
        () => {
          lastError = "";
        },
        (error: Error) => {
          if (error.message !== lastError) log("not applied", { error: error.message });
          lastError = error.message;
        },
      )
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          schedule();
        }
      });
  }, delayMs);
}

/**
 * Keeps one informer running: a list, then a watch from the list's version (the library watches
 * again when a watch ends, and lists again when the version has expired). When a list or a watch
 * fails (an API server restarting), it starts again a second later; its objects are kept meanwhile.
 */
function keep(name: string, cache: ListWatch<KubernetesObject>) {
  for (const verb of ["add", "update", "delete"] as const) cache.on(verb, () => schedule());
  const begin = async () => {
    await cache.start().catch((error: Error) => failed(error));
    // Listed once: from now on the model is whole (connect is told before the list, not after).
    if (cache.latestResourceVersion() && !synced.has(name)) {
      synced.add(name);
      schedule();
    }
  };
  const failed = (error: Error) => {
    log("watch failed", { resource: name, error: String(error?.message ?? error) });
    setTimeout(() => void begin(), RESTART_MS);
  };
  cache.on("error", failed);
  return begin();
}

log("started", { podRanges: POD_RANGES, api: config.getCurrentCluster()?.server });
await Promise.all(
  Object.entries(caches).map(([name, cache]) => keep(name, cache as ListWatch<KubernetesObject>)),
);
setInterval(() => {
  resyncDue = true;
  schedule(0);
}, RESYNC_MS);
if (HANDOFF_DIR) {
  mkdirSync(pendingDir(), { recursive: true });
  setInterval(() => {
    readHandoffs();
    // Alive, and worth waiting for: the plugin waits only on an agent that has applied a table.
    if (applied) writeFileSync(join(HANDOFF_DIR, "agent"), `${process.pid}\n`);
  }, HANDOFF_POLL_MS);
}
