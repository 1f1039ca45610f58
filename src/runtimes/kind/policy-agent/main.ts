// DevStack's NetworkPolicy agent: what Calico's felix does on each node, for Kind clusters where
// Calico cannot be pulled (kube-network-policies, upstream's agent, needs NFQUEUE, which our hosts'
// kernels lack). One per node (a DaemonSet on the node's network, with CAP_NET_ADMIN): it reads the
// cluster's namespaces, pods and NetworkPolicies from the API server, compiles them with the same
// compiler as the Docker runtime's firewall (src/netpol/nftables.ts, scoped to the pod ranges) and
// replaces its nftables table in one transaction whenever the result changes. Ready once the first
// table is in force. Configuration: POD_RANGES (comma-separated CIDRs), READY_FILE.
import { readFileSync, writeFileSync } from "node:fs";
import { applyScript } from "../../../firewall/nft.ts";
import { compileFirewall } from "../../../netpol/nftables.ts";
import { type ApiNamespace, type ApiPod, firewallModelOf } from "./model.ts";

const SA = "/var/run/secrets/kubernetes.io/serviceaccount";
const API = `https://${process.env.KUBERNETES_SERVICE_HOST}:${process.env.KUBERNETES_SERVICE_PORT}`;
const POD_RANGES = (process.env.POD_RANGES ?? "").split(",").filter(Boolean);
const READY_FILE = process.env.READY_FILE ?? "/tmp/applied";
/** How often the cluster is read again; a new pod's traffic waits at most about this long. */
const PERIOD_MS = 500;
/** Re-applies at least this often, so a table removed or edited by hand is restored. */
const RESYNC_MS = 10_000;

const log = (msg: string, extra: object = {}) =>
  console.log(
    JSON.stringify({ time: new Date().toISOString(), service: "devstack-policy-agent", msg, ...extra }),
  );

async function list<T>(path: string): Promise<T[]> {
  // The token is read each time: the kubelet rotates it.
  const token = readFileSync(`${SA}/token`, "utf8").trim();
  const response = await fetch(`${API}${path}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status} ${await response.text()}`);
  return ((await response.json()) as { items: T[] }).items;
}

let applied = "";
let appliedAt = 0;
let lastError = "";

async function sync(): Promise<void> {
  const [namespaces, pods, policies] = await Promise.all([
    list<ApiNamespace>("/api/v1/namespaces"),
    list<ApiPod>("/api/v1/pods"),
    list<unknown>("/apis/networking.k8s.io/v1/networkpolicies"),
  ]);
  const firewall = compileFirewall(
    "netpol",
    { podRanges: POD_RANGES },
    firewallModelOf(namespaces, pods, policies),
  );
  if (firewall.script === applied && Date.now() - appliedAt < RESYNC_MS) return;
  await applyScript(firewall.script, "the cluster's NetworkPolicies");
  if (firewall.script !== applied) log("applied", { table: firewall.table, ...firewall.stats });
  if (!applied) writeFileSync(READY_FILE, `${new Date().toISOString()}\n`);
  applied = firewall.script;
  appliedAt = Date.now();
}

if (POD_RANGES.length === 0) {
  log("POD_RANGES is empty: set it to the cluster's pod CIDRs");
  process.exit(2);
}
log("started", { podRanges: POD_RANGES, api: API });
for (;;) {
  // On an error the table in force stays as it is (the last good rules), and the error is logged
  // once until it changes: a policy the compiler refuses, an API server restarting.
  await sync().then(
    () => {
      lastError = "";
    },
    (error: Error) => {
      if (error.message !== lastError) log("not applied", { error: error.message });
      lastError = error.message;
    },
  );
  await new Promise((resolve) => setTimeout(resolve, PERIOD_MS));
}
