import type { Experiment } from "../experiment.ts";
import { postgresPrimaryFrozen, postgresPrimaryKilled } from "./postgres.ts";
import { serviceReplicaKilled } from "./service-replica-killed.ts";
import { supervisorKilled } from "./supervisor-killed.ts";

/** Every experiment, by name (a new experiment is a new file here, added to this list). */
export const EXPERIMENTS: readonly Experiment[] = [
  postgresPrimaryKilled,
  postgresPrimaryFrozen,
  serviceReplicaKilled,
  supervisorKilled,
];
