import { listResources, type Resource } from "../../docker/resources.ts";
import { LABEL } from "../../labels.ts";
import type { ContainerPlan } from "./translate.ts";

/** Every Docker name of environment `env` starts with this: its network is called exactly this. */
export const prefix = (env: string) => `azora-${env}`;

export const containerName = (env: string, c: Pick<ContainerPlan, "workload" | "replica">) =>
  `${prefix(env)}-${c.workload}-${c.replica}`;

export const supervisorName = (env: string) => `${prefix(env)}-supervisor`;

/** Everything of the environment in Docker, found by its label. */
export const envResources = (env: string) => listResources(`${LABEL.env}=${env}`);

/** An emptyDir of a pod: a volume of its own, gone with the pod. */
export const emptyDirName = (env: string, c: Pick<ContainerPlan, "workload" | "replica">, volume: string) =>
  `${containerName(env, c)}-emptydir-${volume}`;

/** Data that outlives pods (a database's volume): kept by `down --keep-data` and by leftovers cleanup. */
export const isData = (r: Resource) => r.kind === "volume" && !r.name.includes("-emptydir-");
