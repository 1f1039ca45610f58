import type { EnvFile } from "../../config/env-file.ts";
import { listResources, type Resource } from "../../docker/resources.ts";
import { LABEL, owner } from "../../labels.ts";
import type { PodVolume } from "./pod-volumes.ts";
import type { ContainerPlan } from "./translate.ts";

/** Every Docker name of environment `env` starts with this: its network is called exactly this. */
export const prefix = (env: string) => `azora-${env}`;

export const containerName = (env: string, c: Pick<ContainerPlan, "pod">) => `${prefix(env)}-${c.pod}`;

export const supervisorName = (env: string) => `${prefix(env)}-supervisor`;

/** Everything of the environment in Docker, found by its label. */
export const envResources = (env: string) => listResources(`${LABEL.env}=${env}`);

/** An emptyDir of a pod: a volume of its own, gone with the pod. */
export const emptyDirName = (env: string, c: Pick<ContainerPlan, "pod">, volume: string) =>
  `${containerName(env, c)}-emptydir-${volume}`;

/** A StatefulSet pod's claim: data, kept across restarts and `down --keep-data` (as a PVC is). */
export const claimName = (env: string, c: Pick<ContainerPlan, "pod">, claim: string) =>
  `${containerName(env, c)}-${claim}`;

/**
 * The environment's backup repository (pgBackRest's, cluster-backup.ts): not labelled as the
 * environment's, so `dev:down` and `env:gc` leave it; `db:backups --delete` removes it.
 */
export const backupRepositoryName = (env: string) => `azora-backups-${env}`;

/** Its labels: the environment, and the env file and components it was brought up with (for a restore after it is gone). */
export const backupRepositoryLabels = (env: string, envFile: Pick<EnvFile, "name" | "with">) => ({
  [LABEL.backupsOf]: env,
  [LABEL.backupsEnvFile]: envFile.name,
  [LABEL.backupsWith]: envFile.with.join(","),
  [LABEL.owner]: owner(),
});

/** The Docker volume behind a pod's volume: a claim's outlives the pod, an emptyDir's does not. */
export const volumeName = (env: string, c: Pick<ContainerPlan, "pod">, v: PodVolume) =>
  v.repository
    ? backupRepositoryName(env)
    : v.persistent
      ? claimName(env, c, v.name)
      : emptyDirName(env, c, v.name);

/** Data that outlives pods (a database's volume): kept by `down --keep-data` and by leftovers cleanup. */
export const isData = (r: Resource) => r.kind === "volume" && !r.name.includes("-emptydir-");
