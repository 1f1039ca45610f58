import type { K8sObject } from "../manifests/render.ts";
import { buildCluster } from "./cluster.ts";
import type { NamespaceInput } from "./model.ts";

/** An environment's NetworkPolicies and Namespaces: what every runtime's enforcement starts from. */
export interface PolicyModel {
  namespaces: NamespaceInput[];
  policies: unknown[];
}

/** The model of rendered manifests; an invalid policy fails here, before anything starts. */
export function policyModel(objects: readonly K8sObject[]): PolicyModel {
  const model: PolicyModel = {
    namespaces: objects
      .filter((o) => o.kind === "Namespace")
      .map((o) => ({ name: o.metadata.name, labels: o.metadata.labels ?? {} })),
    policies: objects.filter((o) => o.kind === "NetworkPolicy"),
  };
  buildCluster({ ...model, pods: [] });
  return model;
}
