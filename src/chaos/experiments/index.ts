import type { Experiment } from "../experiment.ts";
import { engineRestarted } from "./engine-restarted.ts";
import { postgresPrimaryFrozen, postgresPrimaryIsolated, postgresPrimaryKilled } from "./postgres.ts";
import { postgresConnectionsReset, postgresSlow } from "./postgres-toxics.ts";
import { redisMasterKilled } from "./redis-master-killed.ts";
import { serviceErrorsAlerted } from "./service-errors-alerted.ts";
import { serviceReplicaKilled } from "./service-replica-killed.ts";
import { supervisorKilled } from "./supervisor-killed.ts";

/** Every experiment, by name (a new experiment is a new file here, added to this list). */
export const EXPERIMENTS: readonly Experiment[] = [
  postgresPrimaryKilled,
  postgresPrimaryFrozen,
  postgresPrimaryIsolated,
  postgresSlow,
  postgresConnectionsReset,
  redisMasterKilled,
  serviceReplicaKilled,
  serviceErrorsAlerted,
  supervisorKilled,
  engineRestarted,
];
