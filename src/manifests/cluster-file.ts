import { join } from "node:path";
import { z } from "zod";
import { loadYamlFile } from "../config/yaml-file.ts";
import { kindDir } from "../paths.ts";

const node = z.looseObject({ role: z.enum(["control-plane", "worker"], "control-plane or worker") });

/** kind/cluster.yaml: the fields DevStack relies on; kind checks the rest when it reads it. */
export const clusterConfigSchema = z.looseObject({
  kind: z.literal("Cluster", { error: "expected Cluster" }),
  apiVersion: z.literal("kind.x-k8s.io/v1alpha4", { error: "expected kind.x-k8s.io/v1alpha4" }),
  networking: z.looseObject({
    disableDefaultCNI: z.literal(true, { error: "must be true: kindnet does not enforce NetworkPolicy" }),
    podSubnet: z.string({ error: "required: Calico's pool CIDR" }),
    serviceSubnet: z.string().optional(),
  }),
  nodes: z.array(node).min(1, "at least the control-plane node"),
});
export type ClusterConfig = z.infer<typeof clusterConfigSchema>;

/** kind's default Service range, used when the config names none. */
export const KIND_SERVICE_SUBNET = "10.96.0.0/16";

/** The ranges a cluster's pods and Services take inside its nodes: no network of this machine may overlap them. */
export const clusterRanges = (config: Pick<ClusterConfig, "networking">): string[] => [
  config.networking.podSubnet,
  config.networking.serviceSubnet ?? KIND_SERVICE_SUBNET,
];

export const loadClusterConfig = () => loadYamlFile(join(kindDir(), "cluster.yaml"), clusterConfigSchema);
