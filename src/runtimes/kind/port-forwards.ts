import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { entryPointCommand } from "../../cli/entry-point.ts";
import { UserError } from "../../errors.ts";
import { stateDir } from "../../paths.ts";
import { kubeconfigFile } from "./names.ts";

/** One forward the keeper holds: 127.0.0.1:hostPort to a Service's port. */
export interface HeldForward {
  service: string;
  port: number;
  hostPort: number;
}

/** The keeper's pid file: `down` and `env:gc` stop it through this. */
export const keeperPidFile = (env: string) => join(stateDir(), "kind", `${env}.forwards.pid`);
export const keeperLogFile = (env: string) => join(stateDir(), "kind", `${env}.forwards.log`);

/** The `kubectl port-forward` of one forward (also shown by `--dry-run`). */
export const portForwardArgs = (
  kubeconfig: string,
  namespace: string,
  f: Pick<HeldForward, "service" | "port">,
  hostPort: number | string,
) => [
  "--kubeconfig",
  kubeconfig,
  "-n",
  namespace,
  "port-forward",
  "--address",
  "127.0.0.1",
  `service/${f.service}`,
  `${hostPort}:${f.port}`,
];

/**
 * Starts the keeper of an environment's port-forwards, detached (it outlives `dev:up`, as the
 * Docker runtime's supervisor does): one `kubectl port-forward` per forward, started again a
 * second after it exits (a forward ends when its pod goes), until the cluster's kubeconfig is gone.
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

/** The keeper's loop (forwards-main.ts): holds every forward until the kubeconfig is removed. */
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
  const keep = async (f: HeldForward) => {
    while (!stopping) {
      const child = spawn(kubectlPath, portForwardArgs(kubeconfig, namespace, f, f.hostPort), {
        stdio: ["ignore", "inherit", "inherit"],
      });
      children.add(child);
      // A kubectl that cannot even start (ENOENT) ends the same way: tried again a second later.
      await new Promise((resolve) => {
        child.once("exit", resolve);
        child.once("error", resolve);
      });
      children.delete(child);
      if (!stopping) {
        console.log(
          `${new Date().toISOString()} forward to service/${f.service}:${f.port} ended; again in 1 s`,
        );
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  };
  const watch = setInterval(() => {
    if (!existsSync(kubeconfig)) stop();
  }, 2_000);
  await Promise.all(forwards.map(keep));
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
