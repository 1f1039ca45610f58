import { execa } from "execa";
import { docker } from "../../docker/cli.ts";
import { UserError } from "../../errors.ts";

/** The main process of a running container: the handle on its network namespace. */
export async function pidOf(container: string): Promise<number> {
  const pid = Number(await docker(["inspect", "--format", "{{.State.Pid}}", container]));
  if (!pid) throw new UserError(`${container} is not running`);
  return pid;
}

/**
 * Runs a host command (`ip`, `nft`, `ss`) inside a container's network namespace only, so it acts
 * on the pod's interfaces, rules and sockets with the host's tools (needs root, as the firewall does).
 */
export const inNetns = (pid: number, command: string[], options: { input?: string; reject?: boolean } = {}) =>
  execa("nsenter", [`--target=${pid}`, "--net", "--", ...command], {
    input: options.input,
    reject: options.reject ?? true,
  });
