import { execa } from "execa";
import { docker } from "../../docker/cli.ts";
import { UserError } from "../../errors.ts";

/** The main process of a running container: the handle on its network namespace. */
export async function pidOf(container: string): Promise<number> {
  const pid = Number(await docker(["inspect", "--format", "{{.State.Pid}}", container]));
  if (!pid) throw new UserError(`${container} is not running`);
  return pid;
}

/** A running container's address on its (single) network. */
export async function podAddress(container: string): Promise<string> {
  const ip = (
    await docker([
      "inspect",
      "--format",
      "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
      container,
    ])
  ).split(" ")[0];
  if (!ip) throw new UserError(`${container} has no network address`);
  return ip;
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
