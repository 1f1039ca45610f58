import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { entryPointCommand } from "../../cli/entry-point.ts";
import { UserError } from "../../errors.ts";
import { stateDir } from "../../paths.ts";
import { kubeconfigFile } from "./names.ts";

/** One forward the keeper holds: 127.0.0.1:hostPort to a Service's port (named portName). */
export interface HeldForward {
  service: string;
  port: number;
  portName: string;
  hostPort: number;
}

/** The keeper's pid file: `down` and `env:gc` stop it through this. */
export const keeperPidFile = (env: string) => join(stateDir(), "kind", `${env}.forwards.pid`);
export const keeperLogFile = (env: string) => join(stateDir(), "kind", `${env}.forwards.log`);

/**
 * The `kubectl port-forward` of one forward, to one ready pod behind the Service at the port the
 * Service sends to (the plan shows placeholders for both).
 */
export const portForwardArgs = (
  kubeconfig: string,
  namespace: string,
  pod: string,
  hostPort: number | string,
  podPort: number | string,
) => [
  "--kubeconfig",
  kubeconfig,
  "-n",
  namespace,
  "port-forward",
  "--address",
  "127.0.0.1",
  `pod/${pod}`,
  `${hostPort}:${podPort}`,
];

/** The watch of the namespace's EndpointSlices the keeper follows the Services' pods with. */
export const endpointsWatchArgs = (kubeconfig: string, namespace: string) => [
  "--kubeconfig",
  kubeconfig,
  "-n",
  namespace,
  "get",
  "endpointslices",
  "--watch",
  "-o",
  "json",
];

/** The fields of an EndpointSlice the keeper reads. */
interface EndpointSlice {
  metadata: { name: string; labels?: Record<string, string> };
  ports?: { name?: string; port?: number }[] | null;
  endpoints?: { conditions?: { ready?: boolean }; targetRef?: { name?: string } }[] | null;
}

export interface SliceView {
  slice: string;
  service: string;
  ports: Map<string, number>;
  /** Pods whose endpoint is ready, in the order the slice lists them. */
  ready: string[];
}

/**
 * Reads the watch's output, a stream of indented JSON objects (each closed by a `}` line of its
 * own), and calls `onSlice` with each EndpointSlice as it arrives.
 */
export function sliceReader(onSlice: (view: SliceView) => void): (line: string) => void {
  let text = "";
  return (line) => {
    text += `${line}\n`;
    if (line !== "}") return;
    let slice: EndpointSlice;
    try {
      slice = JSON.parse(text) as EndpointSlice;
    } catch {
      // A cut-off object (the watch ended mid-way): skipped, the next event says it again.
      return;
    } finally {
      text = "";
    }
    const service = slice.metadata.labels?.["kubernetes.io/service-name"];
    if (!service) return;
    onSlice({
      slice: slice.metadata.name,
      service,
      ports: new Map((slice.ports ?? []).flatMap((p) => (p.port ? [[p.name ?? "", p.port] as const] : []))),
      ready: (slice.endpoints ?? []).flatMap((e) =>
        e.conditions?.ready && e.targetRef?.name ? [e.targetRef.name] : [],
      ),
    });
  };
}

/** Where a forward goes now: the first ready pod behind its Service and the pods' port, if any. */
export function backendOf(slices: Iterable<SliceView>, forward: Pick<HeldForward, "service" | "portName">) {
  for (const view of slices) {
    if (view.service !== forward.service) continue;
    const port =
      view.ports.get(forward.portName) ?? (view.ports.size === 1 ? [...view.ports.values()][0] : undefined);
    const pod = view.ready[0];
    if (pod && port) return { pod, port };
  }
  return undefined;
}

/**
 * Starts the keeper of an environment's port-forwards, detached (it outlives `dev:up`, as the
 * Docker runtime's supervisor does): one `kubectl port-forward` per forward to a pod behind its
 * Service, moved when that pod stops backing it, until the cluster's kubeconfig is gone.
 */
export function startKeeper(
  env: string,
  kubectlPath: string,
  namespace: string,
  forwards: HeldForward[],
): number {
  stopKeeper(env);
  mkdirSync(dirname(keeperLogFile(env)), { recursive: true, mode: 0o700 });
  const [node, args] = entryPointCommand("src/runtimes/kind/forwards-main", [
    env,
    kubectlPath,
    namespace,
    JSON.stringify(forwards),
  ]);
  const log = openLog(env);
  const child = spawn(node, args, { detached: true, stdio: ["ignore", log, log] });
  child.unref();
  if (!child.pid) throw new Error("the port-forward keeper did not start");
  writeFileSync(keeperPidFile(env), `${child.pid}\n`);
  return child.pid;
}

const openLog = (env: string) => openSync(keeperLogFile(env), "a");

/** Whether the keeper of an environment is running. */
export function keeperRunning(env: string): boolean {
  const pid = Number(existsSync(keeperPidFile(env)) ? readFileSync(keeperPidFile(env), "utf8").trim() : 0);
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops the keeper (its process group: the keeper and its kubectl children); true if one ran. */
export function stopKeeper(env: string): boolean {
  const running = keeperRunning(env);
  if (running) {
    const pid = Number(readFileSync(keeperPidFile(env), "utf8").trim());
    try {
      process.kill(-pid, "SIGTERM");
    } catch {
      // gone meanwhile
    }
  }
  rmSync(keeperPidFile(env), { force: true });
  return running;
}

/**
 * The keeper's loop (forwards-main.ts): holds every forward until the kubeconfig is removed. Each
 * goes to one ready pod behind its Service, as a Service's traffic would, and moves when that pod
 * stops backing it (the database's primary changed, a pod was replaced): the EndpointSlices are
 * watched, the forward ended and started again to a pod that does.
 */
export async function holdForwards(
  env: string,
  kubectlPath: string,
  namespace: string,
  forwards: HeldForward[],
) {
  const kubeconfig = kubeconfigFile(env);
  let stopping = false;
  const children = new Set<ReturnType<typeof spawn>>();
  const stop = () => {
    stopping = true;
    for (const c of children) c.kill("SIGTERM");
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  const log = (text: string) => console.log(`${new Date().toISOString()} ${text}`);
  const slices = new Map<string, SliceView>();
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** Runs a child until it exits (or cannot start), tracked so that `stop` ends it. */
  const run = (args: string[], onLine?: (line: string) => void) => {
    const child = spawn(kubectlPath, args, { stdio: ["ignore", onLine ? "pipe" : "inherit", "inherit"] });
    children.add(child);
    if (onLine && child.stdout) createInterface({ input: child.stdout }).on("line", onLine);
    const ended = new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.once("error", () => resolve());
    }).then(() => {
      children.delete(child);
    });
    return { child, ended };
  };
  const watchEndpoints = async () => {
    while (!stopping) {
      await run(
        endpointsWatchArgs(kubeconfig, namespace),
        sliceReader((view) => slices.set(view.slice, view)),
      ).ended;
      if (!stopping) {
        log("the EndpointSlice watch ended; again in 1 s");
        await sleep(1_000);
      }
    }
  };
  const keep = async (f: HeldForward) => {
    const what = `service/${f.service}:${f.port}`;
    while (!stopping) {
      const backend = backendOf(slices.values(), f);
      if (!backend) {
        await sleep(250);
        continue;
      }
      const forward = run(portForwardArgs(kubeconfig, namespace, backend.pod, f.hostPort, backend.port));
      let moved = false;
      const follow = setInterval(() => {
        if (backendOf(slices.values(), f)?.pod === backend.pod) return;
        moved = true;
        forward.child.kill("SIGTERM");
      }, 250);
      await forward.ended;
      clearInterval(follow);
      if (stopping) break;
      if (moved) log(`${what}: pod ${backend.pod} no longer backs it; forwarding to the one that does`);
      else {
        // A kubectl that cannot even start (ENOENT) ends the same way: tried again a second later.
        log(`forward to ${what} (pod ${backend.pod}) ended; again in 1 s`);
        await sleep(1_000);
      }
    }
  };
  const watch = setInterval(() => {
    if (!existsSync(kubeconfig)) stop();
  }, 2_000);
  await Promise.all([watchEndpoints(), ...forwards.map(keep)]);
  clearInterval(watch);
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
const accepting = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

/**
 * Waits until every held forward listens, so that the endpoints `dev:up` prints answer when it
 * prints them; an error names the ones that do not and where the keeper says why.
 */
export async function forwardsListening(env: string, forwards: readonly HeldForward[], timeoutMs: number) {
  const until = Date.now() + timeoutMs;
  let waiting = [...forwards];
  while (waiting.length > 0) {
    const open = await Promise.all(waiting.map((f) => accepting(f.hostPort)));
    waiting = waiting.filter((_, i) => !open[i]);
    if (waiting.length === 0) return;
    if (Date.now() > until)
      throw new UserError(
        `port-forwards not listening after ${timeoutMs / 1000} s: ${waiting.map((f) => `${f.service}:${f.port} on 127.0.0.1:${f.hostPort}`).join(", ")}`,
        `The keeper's log says why: ${keeperLogFile(env)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
