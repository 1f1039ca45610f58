import { UserError } from "../errors.ts";
import { resolveImages } from "../images/resolve.ts";
import { devstackLabels, labelArgs } from "../labels.ts";
import { hostNft, type NftRunner, run } from "./nft.ts";

/**
 * Where DevStack runs `nft` from the host side (`dev:up`, `dev:down`, `env:gc`, `dev:status`): the
 * rules belong in the network namespace of the Docker host, which is this machine's on Linux but a
 * VM's under Docker Desktop, and changing them needs CAP_NET_ADMIN there. So:
 *   - as root on a machine with `nft` (our CI machines): `nft` directly;
 *   - otherwise (a developer in the docker group, Docker Desktop): `nft` in a throwaway container
 *     of the `node-nft` image with `--network host --cap-add NET_ADMIN`, i.e. the Docker host's
 *     namespace, whatever that is.
 * DEVSTACK_NFT=host|docker forces one.
 */

let chosen: Promise<NftRunner> | undefined;

export function firewallRunner(): Promise<NftRunner> {
  chosen ??= (async () => {
    const mode = process.env.DEVSTACK_NFT;
    if (mode && mode !== "host" && mode !== "docker")
      throw new UserError(`DEVSTACK_NFT: '${mode}' is not one of: host, docker`);
    if (mode === "host") return hostNft;
    if (
      mode !== "docker" &&
      process.getuid?.() === 0 &&
      (await hostNft(["--version"]).catch(() => undefined))?.ok
    )
      return hostNft;
    return dockerNft(await nftImage());
  })();
  return chosen;
}

async function nftImage(): Promise<string> {
  const image = (await resolveImages({ names: ["node-nft"], silent: true })).get("node-nft");
  return image?.ref ?? "node-nft";
}

/** `nft` in a throwaway container in the Docker host's network namespace. */
export function dockerNft(image: string): NftRunner {
  const labels = labelArgs(devstackLabels({ purpose: "env", ttlMs: 10 * 60_000 }));
  return (args, input) =>
    run(
      "docker",
      [
        "run",
        "--rm",
        ...(input === undefined ? [] : ["--interactive"]),
        "--network",
        "host",
        "--cap-add",
        "NET_ADMIN",
        "--user",
        "0",
        ...labels,
        image,
        "nft",
        ...args,
      ],
      input,
    );
}
