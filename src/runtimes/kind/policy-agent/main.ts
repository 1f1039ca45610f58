// DevStack's NetworkPolicy agent: what Calico's felix does on each node, for Kind clusters where
// Calico cannot be pulled (kube-network-policies, upstream's agent, needs NFQUEUE, which our hosts'
// kernels lack). One per node (a DaemonSet on the node's network, with CAP_NET_ADMIN): it keeps the
// cluster's namespaces, pods and NetworkPolicies in informers (a list, then a watch, as a
// controller does), compiles them with the same compiler as the Docker runtime's firewall
// (src/netpol/nftables.ts, scoped to the pod ranges) and replaces its nftables table in one
// transaction whenever the result changes. Ready once the first table is in force.
// Configuration: POD_RANGES (comma-separated CIDRs), READY_FILE.
import { readFileSync, writeFileSync } from "node:fs";
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
const READY_FILE = process.env.READY_FILE ?? "/tmp/applied";
/** Changes arriving together (a Deployment's pods) make one table: the compile waits this long. */
const SETTLE_MS = 50;
/** Re-applies this often, so a table removed or edited by hand is restored. */
const RESYNC_MS = 10_000;
/** After a watch fails (an API server restarting), its informer lists and watches again after this. */
const RESTART_MS = 1_000;

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

let applied = "";
/** Set every RESYNC_MS: the next sync applies the table even if it has not changed. */
let resyncDue = false;
let lastError = "";

async function sync(): Promise<void> {
  if (synced.size < Object.keys(caches).length) return;
  // The informers hold the objects as the API server sent them.
  const firewall = compileFirewall(
    "netpol",
    { podRanges: POD_RANGES },
    firewallModelOf(
      caches.namespaces.list() as unknown as ApiNamespace[],
      caches.pods.list() as unknown as ApiPod[],
      caches.policies.list(),
    ),
  );
  if (firewall.script === applied && !resyncDue) return;
  await applyScript(firewall.script, "the cluster's NetworkPolicies");
  if (firewall.script !== applied) log("applied", { table: firewall.table, ...firewall.stats });
  if (!applied) writeFileSync(READY_FILE, `${new Date().toISOString()}\n`);
  applied = firewall.script;
  resyncDue = false;
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
