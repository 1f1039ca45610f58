import { inNetns } from "./docker/netns.ts";
import type { Toxic, Upstream } from "./runtime.ts";

/**
 * Toxiproxy between a pod and one service it calls, the part both runtimes share: the proxy runs
 * in the pod's network namespace as its own user, and an nftables table in that namespace sends
 * the pod's connections to the upstream's address and port to it. The redirect spares the proxy's
 * own connections (told apart by its user), so it reaches the upstream from the pod's address:
 * NetworkPolicies see the same traffic as without it. Where the proxy runs and how its API is
 * reached is each runtime's (a container sharing the pod's network on Docker, an ephemeral
 * container on Kind).
 */

/** The proxy's user: the redirect tells the proxy's own connections apart by it. */
export const PROXY_UID = 7474;
export const API_PORT = 8474;
/** Where the proxy listens, on the pod's loopback (what the redirect sends to). */
const PROXY_PORT = 15_432;
const TABLE = "devstack_toxiproxy";
const PROXY = "upstream";

/** A toxic as Toxiproxy's API takes it (POST /proxies/NAME/toxics): on the answers, for every connection. */
export function toxicBody(toxic: Toxic, index: number) {
  const attributes =
    toxic.type === "latency"
      ? { latency: toxic.latencyMs, jitter: toxic.jitterMs ?? 0 }
      : { timeout: toxic.afterMs };
  return { name: `${toxic.type}-${index}`, type: toxic.type, stream: "downstream", toxicity: 1, attributes };
}

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

/** Waits until the proxy's API answers; past 15 s fails with what `lastWords` tells (its log). */
export async function waitForApi(
  api: string,
  where: string,
  lastWords: () => Promise<string>,
): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const up = await fetch(`${api}/version`, { signal: AbortSignal.timeout(1_000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return;
    if (Date.now() > deadline)
      throw new Error(`toxiproxy in ${where} did not answer on ${api} within 15 s:\n${await lastWords()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * With the proxy's API answering at `api` and the pod's network namespace entered through `pid`:
 * the proxy to the upstream (at the address the pod resolves it to), the redirect, the pod's open
 * connections to it cut (they were made before the redirect: it connects again, through the
 * proxy), and a moment later the toxics, so connections it holds open meet them too.
 */
export async function routeThroughProxy(
  api: string,
  pid: number,
  upstreamIp: string,
  upstream: Upstream,
  toxics: readonly Toxic[],
): Promise<void> {
  await call(api, "/proxies", {
    name: PROXY,
    listen: `127.0.0.1:${PROXY_PORT}`,
    upstream: `${upstreamIp}:${upstream.port}`,
    enabled: true,
  });
  await inNetns(pid, ["nft", "-f", "-"], { input: redirectRules(upstreamIp, upstream.port) });
  await inNetns(pid, ["ss", "--kill", "--tcp", "dst", upstreamIp, "dport", "=", String(upstream.port)]);
  await new Promise((r) => setTimeout(r, 1_000));
  for (const [index, toxic] of toxics.entries())
    await call(api, `/proxies/${PROXY}/toxics`, toxicBody(toxic, index));
}

/** Toxics off first (what waits on them goes on), then the redirect; the proxy itself is the runtime's to stop. */
export async function unrouteProxy(api: string | undefined, pid: number | undefined): Promise<void> {
  if (api) await call(api, "/reset").catch(() => undefined);
  if (pid) await inNetns(pid, ["nft", "delete", "table", "ip", TABLE], { reject: false });
}
