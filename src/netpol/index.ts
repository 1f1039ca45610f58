// Kubernetes NetworkPolicy semantics as a pure function (see engine.ts for the rules, policy.ts for
// validation and defaulting, render.ts for the JSON format of `pnpm netpol:matrix --json`).
export { buildCluster, type Cluster, type ClusterInput, type ClusterPod } from "./cluster.ts";
export {
  computeReachability,
  type Entry,
  evaluate,
  Reachability,
  type ReachabilityOptions,
} from "./engine.ts";
export { loadManifests, POD_IP_ANNOTATION, parseManifests } from "./manifests.ts";
export * from "./model.ts";
export { compilePolicy, effectivePolicyTypes, type NetworkPolicyObject } from "./policy.ts";
export { formatProblem, NetpolInputError, type Problem } from "./problems.ts";
export { renderText, toJson } from "./render.ts";
export { compileSelector, type LabelSelector, selectorMatches } from "./selector.ts";
