import { LABEL, recordsId } from "../../labels.ts";
import { kubectl, runCommand } from "../kind/tools.ts";

/** The namespace of an environment on a shared cluster: `azora-pr-123` for environment `pr-123`. */
export const namespaceFor = (env: string) => `azora-${env}`;

/**
 * How a namespace says it is a DevStack environment's. Labels select (`kubectl get ns -l
 * dev.azora.devstack=true`); every DevStack label is also kept as an annotation, since a run
 * (`host:pid:start`) or an expiry (an ISO time) is not a valid label value.
 */
export function ownershipMetadata(labels: Record<string, string>) {
  const selectable = [LABEL.managed, LABEL.env, LABEL.purpose, LABEL.records] as const;
  return {
    labels: Object.fromEntries(selectable.flatMap((key) => (labels[key] ? [[key, labels[key]]] : []))),
    annotations: { ...labels },
  };
}

export interface NamespaceView {
  name: string;
  labels: Record<string, string>;
  /** Its DevStack annotations (the labels it was made with). */
  devstack: Record<string, string>;
  phase: string;
  createdAt: string;
}

interface ApiNamespace {
  metadata: {
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp: string;
  };
  status?: { phase?: string };
}

const viewOf = (ns: ApiNamespace): NamespaceView => ({
  name: ns.metadata.name,
  labels: ns.metadata.labels ?? {},
  devstack: Object.fromEntries(
    Object.entries(ns.metadata.annotations ?? {}).filter(([k]) => k.startsWith(`${LABEL.managed}`)),
  ),
  phase: ns.status?.phase ?? "Active",
  createdAt: ns.metadata.creationTimestamp,
});

/** Whether a namespace says it is environment `env`'s of this state folder (not another machine's, or nobody's). */
export const ownedBy = (view: NamespaceView | undefined, env: string) =>
  view?.devstack[LABEL.env] === env && view.devstack[LABEL.records] === recordsId();

/** The namespace as the cluster has it now; undefined when there is none. */
export async function getNamespace(kubeconfig: string, name: string): Promise<NamespaceView | undefined> {
  const out = (
    await runCommand(kubectl(kubeconfig, ["get", "namespace", name, "--ignore-not-found", "-o", "json"]))
  ).trim();
  return out ? viewOf(JSON.parse(out) as ApiNamespace) : undefined;
}

/** Every DevStack environment's namespace on the cluster, whichever machine made it. */
export async function devstackNamespaces(kubeconfig: string): Promise<NamespaceView[]> {
  const out = await runCommand(
    kubectl(kubeconfig, ["get", "namespaces", "-l", `${LABEL.managed}=true,${LABEL.env}`, "-o", "json"]),
  );
  return (JSON.parse(out) as { items: ApiNamespace[] }).items.map(viewOf);
}

/**
 * Deletes the namespace (everything in it goes with it) and waits until it is gone: the next `up`
 * of the same environment would otherwise find it Terminating. Resolves to whether there was one.
 */
export async function deleteNamespace(
  kubeconfig: string,
  name: string,
  timeoutSeconds = 300,
): Promise<boolean> {
  const out = await runCommand(
    kubectl(kubeconfig, [
      "delete",
      "namespace",
      name,
      "--ignore-not-found",
      "--wait",
      `--timeout=${timeoutSeconds}s`,
    ]),
    { timeoutMs: (timeoutSeconds + 30) * 1000 },
  );
  return out.includes("deleted");
}
