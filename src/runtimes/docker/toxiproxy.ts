import { docker, dockerMaybe } from "../../docker/cli.ts";
import { UserError } from "../../errors.ts";
import { resolveImages } from "../../images/resolve.ts";
import { LABEL } from "../../labels.ts";
import type { Toxic, Upstream } from "../runtime.ts";
import { API_PORT, PROXY_UID, routeThroughProxy, unrouteProxy, waitForApi } from "../toxiproxy-api.ts";
import { POD_LABEL } from "./firewall.ts";
import { pidOf, podAddress } from "./netns.ts";

/**
 * Toxiproxy between a pod and one service it calls, on the Docker runtime (toxiproxy-api.ts): the
 * proxy is a container sharing the pod's network namespace (as an ephemeral container would on
 * Kubernetes), its API on the pod's address.
 */

/** The image, resolved once per process (an experiment degrades several pods at once). */
let image: Promise<string> | undefined;
export const toxiproxyImage = () =>
  (image ??= resolveImages({ names: ["toxiproxy"], silent: true }).then(
    (images) => images.get("toxiproxy")?.ref ?? "toxiproxy",
  ));

export const proxyContainer = (pod: string) => `${pod}-toxiproxy`;

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
    await waitForApi(api, container, async () => (await dockerMaybe(["logs", "--tail", "20", name])) ?? "");
    await routeThroughProxy(api, pid, upstreamIp, upstream, toxics);
  } catch (error) {
    // Half a fault is none: what was put in place goes again.
    await restorePod(container);
    throw error;
  }
}

/** The toxics and the redirect off (toxiproxy-api.ts), then the proxy (its connections close). */
export async function restorePod(container: string): Promise<void> {
  const running = await dockerMaybe(["inspect", "--format", "{{.State.Running}}", container]);
  if (running === "true")
    await unrouteProxy(`http://${await podAddress(container)}:${API_PORT}`, await pidOf(container));
  await dockerMaybe(["rm", "--force", proxyContainer(container)]);
}
