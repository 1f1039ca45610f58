import { listResources } from "../../docker/resources.ts";
import { LABEL } from "../../labels.ts";
import type { ContainerPlan } from "./translate.ts";

/** Every Docker name of environment `env` starts with this: its network is called exactly this. */
export const prefix = (env: string) => `azora-${env}`;

export const containerName = (env: string, c: Pick<ContainerPlan, "workload" | "replica">) =>
  `${prefix(env)}-${c.workload}-${c.replica}`;

export const supervisorName = (env: string) => `${prefix(env)}-supervisor`;

/** Everything of the environment in Docker, found by its label. */
export const envResources = (env: string) => listResources(`${LABEL.env}=${env}`);
