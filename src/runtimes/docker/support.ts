import type { EnvFile } from "../../config/env-file.ts";
import { UserError } from "../../errors.ts";
import { imageForReference, loadImageMap } from "../../images/image-map.ts";
import type { RuntimeSupport } from "../../manifests/plan.ts";
import { type PreparedEnvironment, prepareEnvironment } from "../../manifests/prepare.ts";
import type { SecretValues } from "../../manifests/secrets.ts";
import { completePrometheusConfig, MONITORING_KINDS } from "../../monitoring/prometheus-config.ts";
import { isHa, operatorPodMonitors, standInPolicy } from "./cluster.ts";
import { KUBE_STATE_JOB } from "./kube-state.ts";
import { type ContainerPlan, translate } from "./translate.ts";

/** What the Docker runtime does with each kind; anything else in the manifests is an error. */
export const DOCKER_SUPPORT: RuntimeSupport = {
  runtime: "Docker",
  run: [
    "ConfigMap",
    "Secret",
    "Deployment",
    "StatefulSet",
    "Service",
    "Cluster",
    // Taken by the environment's supervisor with pgBackRest (backup-schedule.ts).
    "ScheduledBackup",
    // Enforced by the environment's firewall rules (firewall.ts).
    "NetworkPolicy",
    // Made into the configuration of the environment's Prometheus, as the operator does.
    ...MONITORING_KINDS,
  ],
  ignored: {
    HorizontalPodAutoscaler: "no autoscaling on one machine: replicas come from the Deployment",
    PodDisruptionBudget: "no voluntary evictions on Docker",
    Namespace: "an environment's namespaces share its network; pods carry theirs as labels for NetworkPolicy",
    Backup: "on Docker `pnpm db:backup` takes a base backup (the Cluster's spec.backup archives WAL)",
  },
};

/** The containers a prepared environment runs as, each image named by the image map. */
export function containersOf(prepared: PreparedEnvironment): ContainerPlan[] {
  const map = loadImageMap();
  return translate(prepared.plan, prepared.secrets, (reference, owner) => {
    const image = imageForReference(map, reference);
    if (!image)
      throw new UserError(`${owner}: image ${reference} is not in images/images.yaml (as upstream or alias)`);
    return image;
  });
}

/**
 * An env file checked for Docker, and the containers it becomes (with the secrets it had, if any).
 * A Cluster of several instances runs on stand-ins (cluster.ts) whose traffic among themselves
 * their own policy allows: it joins the environment's policies.
 */
export async function dockerPlanOf(envFile: EnvFile, previousSecrets?: SecretValues) {
  const prepared = await prepareEnvironment(envFile, DOCKER_SUPPORT, previousSecrets);
  // Prometheus' configuration names the pods, so it is completed once they are known. A pod's
  // hostname is its name, which the engine's DNS answers on the environment's network.
  const pods = containersOf(prepared);
  // With the PodMonitors the CloudNativePG operator would make (appended, so the completed
  // objects keep the plan's first, in order; the made ones are the operator's, not the plan's).
  const planned = prepared.plan.run;
  const objects = [...planned, ...operatorPodMonitors(planned)];
  prepared.plan.run = completePrometheusConfig(objects, pods, (pod, port) => `${pod.pod}:${port}`, [
    KUBE_STATE_JOB,
  ]).slice(0, planned.length);
  // Translated again only when a Prometheus' ConfigMap was completed (its pod mounts it).
  const containers = prepared.plan.run.every((o, i) => o === planned[i]) ? pods : containersOf(prepared);
  for (const cluster of prepared.plan.run.filter((o) => o.kind === "Cluster" && isHa(o)))
    prepared.policies.policies.push(
      standInPolicy(cluster.metadata.name, cluster.metadata.namespace ?? "default"),
    );
  return { prepared, containers };
}
