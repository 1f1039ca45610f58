import { docker, dockerMaybe } from "../../docker/cli.ts";
import { UserError } from "../../errors.ts";
import { resolveImages } from "../../images/resolve.ts";
import { LABEL } from "../../labels.ts";
import type { Toxic, Upstream } from "../runtime.ts";
import { toxicBody } from "../toxiproxy-api.ts";
import { POD_LABEL } from "./firewall.ts";
import { inNetns, pidOf, podAddress } from "./netns.ts";

/**
 * Toxiproxy between a pod and one service it calls, on the Docker runtime: the proxy runs in the
 * pod's network namespace (as an ephemeral container would on Kubernetes), and an nftables table
 * in that namespace redirects the pod's connections to the upstream's address and port to it. The
 * proxy runs as its own user, whose connections the redirect spares, so it reaches the upstream
 * from the pod's address: the NetworkPolicy firewall sees the same traffic as without it.
 */

/** The proxy's user: the redirect tells the proxy's own connections apart by it. */
const PROXY_UID = 7474;
const API_PORT = 8474;
/** Where the proxy listens, on the pod's loopback (what the redirect sends to). */
const PROXY_PORT = 15_432;
const TABLE = "devstack_toxiproxy";
const PROXY = "upstream";

/** The image, resolved once per process (an experiment degrades several pods at once). */
let image: Promise<string> | undefined;
const toxiproxyImage = () =>
  (image ??= resolveImages({ names: ["toxiproxy"], silent: true }).then(
    (images) => images.get("toxiproxy")?.ref ?? "toxiproxy",
  ));

export const proxyContainer = (pod: string) => `${pod}-toxiproxy`;

/** The table that sends the pod's connections to `ip:port` to the proxy (replaced if present). */
export const redirectRules = (ip: string, port: number) =>
  [
    `table ip ${TABLE}`,
    `delete table ip ${TABLE}`,
    `table ip ${TABLE} {`,
    "  chain output {",
    "    type nat hook output priority -100; policy accept;",
    `    meta skuid ${PROXY_UID} return`,
    `    ip daddr ${ip} tcp dport ${port} redirect to :${PROXY_PORT}`,
    "  }",
    "}",
    "",
  ].join("\n");

async function call(api: string, path: string, body?: unknown): Promise<void> {
  const response = await fetch(`${api}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body ?? {}),
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok)
    throw new Error(`toxiproxy ${path}: ${response.status} ${(await response.text()).trim()}`);
}

async function waitForApi(api: string, container: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const up = await fetch(`${api}/version`, { signal: AbortSignal.timeout(1_000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return;
    if (Date.now() > deadline)
      throw new Error(
        `toxiproxy in ${container} did not answer on ${api} within 15 s:\n${await dockerMaybe(["logs", "--tail", "20", proxyContainer(container)])}`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function degradePod(
  container: string,
  upstream: Upstream,
  toxics: readonly Toxic[],
): Promise<void> {
  const pid = await pidOf(container);
  const ip = await podAddress(container);
  // The address the pod itself resolves the upstream's name to.
  const upstreamIp = (await dockerMaybe(["exec", container, "getent", "hosts", upstream.host]))?.split(
    /\s+/,
  )[0];
  if (!upstreamIp) throw new UserError(`${container} cannot resolve '${upstream.host}'`);
  const image = await toxiproxyImage();
  // The pod's own labels (so dev:down and env:gc remove the proxy with it), but not a pod itself.
  const labels = JSON.parse(
    await docker(["inspect", "--format", "{{json .Config.Labels}}", container]),
  ) as Record<string, string>;
  delete labels[POD_LABEL];
  delete labels[LABEL.liveness];
  labels[LABEL.workload] = "toxiproxy";
  const name = proxyContainer(container);
  await dockerMaybe(["rm", "--force", name]);
  await docker([
    "run",
    "--detach",
    "--name",
    name,
    "--network",
    `container:${container}`,
    "--user",
    `${PROXY_UID}:${PROXY_UID}`,
    ...Object.entries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]),
    image,
    `-host=${ip}`,
    `-port=${API_PORT}`,
  ]);
  const api = `http://${ip}:${API_PORT}`;
  try {
    await waitForApi(api, container);
    await call(api, "/proxies", {
      name: PROXY,
      listen: `127.0.0.1:${PROXY_PORT}`,
      upstream: `${upstreamIp}:${upstream.port}`,
      enabled: true,
    });
    await inNetns(pid, ["nft", "-f", "-"], { input: redirectRules(upstreamIp, upstream.port) });
    // Open connections were made before the redirect: cut, so that the pod connects again, through
    // the proxy. The toxics come a moment later, so connections it holds open meet them too.
    await inNetns(pid, ["ss", "--kill", "--tcp", "dst", upstreamIp, "dport", "=", String(upstream.port)]);
    await new Promise((r) => setTimeout(r, 1_000));
    for (const [index, toxic] of toxics.entries())
      await call(api, `/proxies/${PROXY}/toxics`, toxicBody(toxic, index));
  } catch (error) {
    // Half a fault is none: what was put in place goes again.
    await restorePod(container);
    throw error;
  }
}

/** Toxics off first (what waits on them goes on), the redirect, then the proxy (its connections close). */
export async function restorePod(container: string): Promise<void> {
  const running = await dockerMaybe(["inspect", "--format", "{{.State.Running}}", container]);
  if (running === "true") {
    const ip = await podAddress(container);
    await call(`http://${ip}:${API_PORT}`, "/reset").catch(() => undefined);
    await inNetns(await pidOf(container), ["nft", "delete", "table", "ip", TABLE], { reject: false });
  }
  await dockerMaybe(["rm", "--force", proxyContainer(container)]);
}
