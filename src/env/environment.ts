import { ensureEngine } from "../docker/cli.ts";
import { listResources, removeResources } from "../docker/resources.ts";
import { UserError } from "../errors.ts";
import { removeTable } from "../firewall/nft.ts";
import { firewallRunner } from "../firewall/runner.ts";
import { LABEL } from "../labels.ts";
import { tableName } from "../netpol/nftables.ts";
import { type EnvState, removeEnvState, stateFile } from "./state.ts";

/**
 * What every runtime command shares about one environment: its name, what it created in Docker
 * (found by label), how to reach it (recorded in its state), and how it is removed.
 */

const NAME = /^[a-z][a-z0-9-]{0,39}$/;

export function checkEnvName(name: string): string {
  if (!NAME.test(name)) {
    throw new UserError(
      `--name: '${name}' is not a valid environment name`,
      "expected lower-case letters, digits and '-', starting with a letter, at most 40 characters",
    );
  }
  return name;
}

export const prefix = (env: string) => `azora-${env}`;

export interface Endpoints {
  postgresUrl: string;
  redisUrl: string;
}

/** The host-side URLs the runtime recorded when the environment came up. */
export function endpoints(state: EnvState): Endpoints {
  return { postgresUrl: state.endpoints.postgres ?? "", redisUrl: state.endpoints.redis ?? "" };
}

export const envResources = (env: string) => listResources(`${LABEL.env}=${env}`);

export type Step = (line: string) => void;

/**
 * Removes everything of `env` (containers, network, its firewall table); with keepData its volume
 * and secrets stay for the next `up`. The table goes after the containers, so no supervisor is
 * left to re-apply it.
 */
export async function downEnv(env: string, { keepData = false } = {}): Promise<number> {
  await ensureEngine();
  const resources = (await envResources(env)).filter((r) => !(keepData && r.kind === "volume"));
  await removeResources(resources);
  const table = (await removeTable(tableName(env), await firewallRunner())) ? 1 : 0;
  if (!keepData) removeEnvState(env);
  return resources.length + table;
}

/**
 * After Ctrl-C: removes what an interrupted `up` created, again until a listing comes back empty,
 * since a container create already sent to the engine can land after the first removal.
 */
export async function removeInterrupted(env: string): Promise<void> {
  for (let round = 0; round < 10; round++) {
    if ((await downEnv(env, { keepData: true })) === 0 && round > 0) return;
    await new Promise((r) => setTimeout(r, 300));
  }
}

export { stateFile };
