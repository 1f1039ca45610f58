import type { Action } from "../../actions.ts";
import { containers } from "./containers.ts";
import type { DockerUpContext } from "./context.ts";
import { migrations, seedData } from "./database.ts";
import { images } from "./images.ts";
import { leftovers } from "./leftovers.ts";
import { network } from "./network.ts";
import { policies } from "./policies.ts";
import { databaseReady, workloadsReady } from "./readiness.ts";
import { markReady, recordState } from "./state.ts";
import { supervisor } from "./supervisor.ts";

/**
 * How the Docker runtime creates an environment, in order. Policies are in force before the first
 * container starts; every container starts at once; migrations and the seed run as soon as the
 * database is ready, while the services finish booting.
 */
export const UP_ACTIONS: readonly Action<DockerUpContext>[] = [
  leftovers,
  recordState,
  images,
  network,
  policies,
  containers,
  databaseReady,
  migrations,
  seedData,
  workloadsReady,
  supervisor,
  markReady,
];
