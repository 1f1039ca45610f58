import { docker } from "../docker/cli.ts";
import { labelArgs } from "../labels.ts";

export interface LocalRegistry {
  /** HOST:PORT, on 127.0.0.1 only. */
  address: string;
  /** Its address on `network`, when it was started on one (how a Kind cluster's nodes reach it). */
  inNetwork?: string;
  remove: () => Promise<void>;
}

/**
 * A throwaway registry on this machine: the `registry` image (`ref`) published on 127.0.0.1 only,
 * its images inside the container (removed with it), ready once it answers `GET /v2/`; on
 * `network` besides, when given (a Kind cluster's, for its nodes to pull from).
 */
export async function startLocalRegistry(
  ref: string,
  labels: Record<string, string>,
  { network }: { network?: string } = {},
): Promise<LocalRegistry> {
  const container = (
    await docker([
      "run",
      "-d",
      ...labelArgs(labels),
      ...(network ? ["--network", network] : []),
      "-p",
      "127.0.0.1::5000",
      ref,
    ])
  ).trim();
  const remove = async () => void (await docker(["rm", "-f", "--volumes", container]).catch(() => undefined));
  try {
    const address = (await docker(["port", container, "5000/tcp"])).trim().split("\n")[0] ?? "";
    for (const until = Date.now() + 30_000; Date.now() < until; ) {
      if ((await fetch(`http://${address}/v2/`).catch(() => undefined))?.status === 200) {
        if (!network) return { address, remove };
        const ip = (
          await docker([
            "inspect",
            "--format",
            `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`,
            container,
          ])
        ).trim();
        return { address, inNetwork: `${ip}:5000`, remove };
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(
      `the registry on ${address} did not answer /v2/ in 30 s:\n${await docker(["logs", container])}`,
    );
  } catch (error) {
    await remove();
    throw error;
  }
}
