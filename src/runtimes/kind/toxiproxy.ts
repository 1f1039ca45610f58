import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { UserError } from "../../errors.ts";
import { resolveImages } from "../../images/resolve.ts";
import { toxiproxyImage } from "../docker/toxiproxy.ts";
import type { Toxic, Upstream } from "../runtime.ts";
import { API_PORT, PROXY_UID, routeThroughProxy, unrouteProxy, waitForApi } from "../toxiproxy-api.ts";
import { kindLoad } from "./actions/images.ts";
import { containerdId, ctr, ctrMaybe } from "./containerd.ts";
import { clusterName, kubeconfigFile } from "./names.ts";
import { podNetworkNamespaces } from "./pod-netns.ts";
import { getPod, type KindPod } from "./pods.ts";
import { portForwardArgs } from "./port-forwards.ts";
import { kindDockerEnv } from "./privileged.ts";
import { kubectl, requireTool, runCommand } from "./tools.ts";

/**
 * Toxiproxy between a pod and one service it calls, on Kind (toxiproxy-api.ts), as on any cluster
 * (src/chaos/kubernetes.ts): an ephemeral container of the pod runs the proxy as its own user on
 * the pod's loopback, and its API is reached through `kubectl port-forward`. The redirect is added
 * from this machine, whose kernel runs the nodes' pods (pod-netns.ts). An ephemeral container
 * cannot be removed: `restore` stops its process, and the pod's next proxy is another one
 * (toxiproxy-2, ...), as `kubectl debug` adds them.
 */

/** A proxy in place: what `restore` needs. */
export interface PodProxy {
  namespace: string;
  pod: string;
  container: string;
  pid: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PREFIX = "toxiproxy-";

export async function degradeKindPod(
  env: string,
  found: KindPod,
  upstream: Upstream,
  toxics: readonly Toxic[],
): Promise<PodProxy> {
  const { namespace, name } = found.metadata;
  const node = found.spec.nodeName;
  const ip = found.status?.podIP;
  if (!node || !ip) throw new UserError(`pod ${namespace}/${name} is not running on a node`);
  const kubeconfig = kubeconfigFile(env);
  // The address the pod itself resolves the upstream's name to.
  const resolved = await runCommand(
    kubectl(kubeconfig, ["-n", namespace, "exec", name, "--", "getent", "hosts", upstream.host]),
  ).catch((error: Error) => {
    throw new UserError(`${namespace}/${name} cannot resolve '${upstream.host}': ${error.message}`);
  });
  const upstreamIp = resolved.split(/\s+/)[0];
  if (!upstreamIp) throw new UserError(`${namespace}/${name} cannot resolve '${upstream.host}'`);

  const image = await onNode(env, node);
  const taken = (found.spec.ephemeralContainers ?? []).filter((c) => c.name.startsWith(PREFIX)).length;
  const container = `${PREFIX}${taken + 1}`;
  const ephemeral = {
    name: container,
    image,
    imagePullPolicy: "Never",
    args: ["-host=127.0.0.1", `-port=${API_PORT}`],
    securityContext: { runAsUser: PROXY_UID, runAsGroup: PROXY_UID },
  };
  await runCommand(
    kubectl(kubeconfig, [
      "-n",
      namespace,
      "patch",
      "pod",
      name,
      "--subresource",
      "ephemeralcontainers",
      "--type",
      "strategic",
      "-p",
      JSON.stringify({ spec: { ephemeralContainers: [ephemeral] } }),
    ]),
  );
  const proxy: PodProxy = { namespace, pod: name, container, pid: 0 };
  try {
    await untilRunning(env, proxy);
    const pid = (await podNetworkNamespaces([node])).get(ip);
    if (!pid)
      throw new Error(`no network namespace on ${node} has the address of ${namespace}/${name} (${ip})`);
    proxy.pid = pid;
    await throughApi(env, proxy, (api) => routeThroughProxy(api, pid, upstreamIp, upstream, toxics));
  } catch (error) {
    // Half a fault is none: what was put in place goes again.
    await restoreKindPod(env, proxy);
    throw error;
  }
  return proxy;
}

/** The toxics and the redirect off (toxiproxy-api.ts), then the proxy's process (its connections close). */
export async function restoreKindPod(env: string, proxy: PodProxy): Promise<void> {
  await throughApi(env, proxy, (api) => unrouteProxy(api, proxy.pid || undefined)).catch(() =>
    unrouteProxy(undefined, proxy.pid || undefined),
  );
  const { node, status } = await proxyStatus(env, proxy);
  if (!node || !status?.containerID || status.state?.running === undefined) return;
  const id = containerdId(status.containerID);
  await ctr(node, ["task", "kill", "--signal", "SIGKILL", id]);
  // Gone once the kubelet says so, as a removed container is on Docker.
  const deadline = Date.now() + 15_000;
  while ((await proxyStatus(env, proxy)).status?.state?.running !== undefined) {
    if (Date.now() > deadline)
      throw new UserError(
        `the proxy of ${proxy.namespace}/${proxy.pod} (${proxy.container}) still runs 15 s after SIGKILL`,
      );
    await sleep(250);
  }
}

/** The proxy's ephemeral container as the API server has it now, and the pod's node. */
async function proxyStatus(env: string, proxy: PodProxy) {
  const found = await getPod(env, proxy.namespace, proxy.pod);
  return {
    node: found?.spec.nodeName,
    status: found?.status?.ephemeralContainerStatuses?.find((c) => c.name === proxy.container),
  };
}

/** The image in the node's containerd (loaded unless it is there), once per node for the pods degraded at once on it. */
const loaded = new Map<string, Promise<string>>();
function onNode(env: string, node: string): Promise<string> {
  const key = `${env} ${node}`;
  let image = loaded.get(key);
  if (!image) {
    image = toxiproxyImage().then(async (ref) => {
      // Named as containerd on the node names what kind loads (a registry's host first).
      const stored = ref.split("/")[0]?.includes(".") ? ref : `docker.io/${ref}`;
      const listed = await ctrMaybe(node, ["images", "ls", "-q", `name==${stored}`]);
      if (listed?.trim()) return ref;
      // kind runs with the docker the cluster was made with.
      const nodeImage = (await resolveImages({ names: ["kind-node"], silent: true })).get("kind-node");
      await runCommand({
        ...kindLoad(clusterName(env), [ref], [node]),
        env: nodeImage ? await kindDockerEnv(nodeImage.ref) : undefined,
      });
      return ref;
    });
    image.catch(() => loaded.delete(key));
    loaded.set(key, image);
  }
  return image;
}

async function untilRunning(env: string, proxy: PodProxy): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { status } = await proxyStatus(env, proxy);
    if (status?.state?.running !== undefined) return;
    if (status?.state?.terminated || Date.now() > deadline)
      throw new UserError(
        `the proxy of ${proxy.namespace}/${proxy.pod} (ephemeral container ${proxy.container}) is not running: ${JSON.stringify(status?.state ?? "no status")}`,
      );
    await sleep(250);
  }
}

/**
 * Runs `body` with the proxy's API forwarded to 127.0.0.1 (`kubectl port-forward` to the pod,
 * whose loopback the proxy listens on); the forward ends with it.
 */
async function throughApi<T>(env: string, proxy: PodProxy, body: (api: string) => Promise<T>): Promise<T> {
  // No host port: kubectl picks a free one and says which.
  const forward = spawn(
    requireTool("kubectl"),
    portForwardArgs(kubeconfigFile(env), proxy.namespace, proxy.pod, "", API_PORT),
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  try {
    const port = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error("kubectl port-forward did not start within 15 s")),
        15_000,
      );
      let said = "";
      forward.stderr.on("data", (chunk) => {
        said += String(chunk);
      });
      forward.on("exit", (code) => reject(new Error(`kubectl port-forward ended (${code}): ${said.trim()}`)));
      createInterface({ input: forward.stdout }).on("line", (line) => {
        const match = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(line);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
    const api = `http://127.0.0.1:${port}`;
    await waitForApi(api, `${proxy.namespace}/${proxy.pod}`, () =>
      runCommand(
        kubectl(kubeconfigFile(env), [
          "-n",
          proxy.namespace,
          "logs",
          proxy.pod,
          "-c",
          proxy.container,
          "--tail",
          "20",
        ]),
      ).catch((e: Error) => e.message),
    );
    return await body(api);
  } finally {
    forward.kill();
  }
}
