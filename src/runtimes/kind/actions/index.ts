import { type Action, inParallel } from "../../actions.ts";
import { networkPolicies, operator } from "./addons.ts";
import { cluster, nodeImage } from "./cluster.ts";
import type { KindUpContext, KubeUpContext } from "./context.ts";
import { images } from "./images.ts";
import { egressGuard, network } from "./network.ts";
import { endpoints, leftovers, markReady, recordState } from "./state.ts";
import { database, manifests, migrationsAndSeed, rollouts } from "./workloads.ts";

/**
 * What a runtime on Kubernetes does inside the cluster once the namespace's images can be had: the
 * overlay, the database Ready, migrations and seed, rollouts, endpoints, the record ready.
 */
export const IN_CLUSTER_ACTIONS: readonly Action<KubeUpContext>[] = [
  manifests,
  database,
  migrationsAndSeed,
  rollouts,
  endpoints,
  markReady,
];

/**
 * How the Kind runtime creates an environment, in order. The egress guard is on the cluster's
 * network before its first node starts; the NetworkPolicy engine (Calico, or DevStack's agent where
 * Calico is not vendored) runs on every node and enforces the NetworkPolicies from the moment the
 * overlay is applied; the operator's webhook is up before the Cluster is created; migrations and
 * seed run once the database is Ready. The images load while the add-ons roll out.
 */
export const KIND_UP_ACTIONS: readonly Action<KindUpContext>[] = [
  leftovers,
  recordState,
  network,
  egressGuard,
  nodeImage,
  cluster,
  // The add-ons wait on rollouts in the cluster while the images load into the nodes.
  inParallel("add-ons and images", [[networkPolicies, operator], [images]], (ctx) => ctx.progress),
  ...IN_CLUSTER_ACTIONS,
];
