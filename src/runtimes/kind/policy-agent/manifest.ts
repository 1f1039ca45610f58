import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import type { K8sObject } from "../../../manifests/render.ts";
import { kindDir } from "../../../paths.ts";

export const POLICY_AGENT = {
  file: () => join(kindDir(), "policy-agent", "policy-agent.yaml"),
  namespace: "kube-system",
  daemonSet: "devstack-policy-agent",
  image: "policy-agent",
} as const;

/** kind/policy-agent's objects with the agent told the cluster's pod ranges. */
export function policyAgentObjects(podRanges: readonly string[]): K8sObject[] {
  const objects = parseAllDocuments(readFileSync(POLICY_AGENT.file(), "utf8")).map(
    (d) => d.toJS() as K8sObject,
  );
  const daemonSet = objects.find((o) => o.kind === "DaemonSet");
  const env = daemonSet?.spec?.template?.spec?.containers?.[0]?.env as
    | { name: string; value: string }[]
    | undefined;
  const ranges = env?.find((e) => e.name === "POD_RANGES");
  if (!ranges) throw new Error(`${POLICY_AGENT.file()}: no DaemonSet whose first container has POD_RANGES`);
  ranges.value = podRanges.join(",");
  return objects;
}

/** The image the manifest names, which the nodes must hold under that name. */
export function policyAgentReference(): string {
  const [daemonSet] = policyAgentObjects([]).filter((o) => o.kind === "DaemonSet");
  return daemonSet?.spec?.template?.spec?.containers?.[0]?.image as string;
}
