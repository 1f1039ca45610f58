// Opens fresh connections from inside a pod's network namespace and prints what happened to each,
// as JSON on stdout. Started there with `nsenter --net` on Docker and Kind (runtimes/docker/
// policy-probe.ts), or as an ephemeral container of the pod on a cluster (runtimes/cluster/
// policy-probe.ts). Standalone on purpose: it imports nothing but Node, and runs as
// `node --input-type=module -e '<this module, then PROBER_MAIN>' '<targets as JSON>' <timeoutMs>`
// (on this machine the module is imported, Node stripping its types; in a pod the script is the
// module with types stripped by esbuild). Importing it runs nothing, so the unit tests call
// `probeTargets` in the test process itself.
//   TCP: "open" (connected), "refused" (a reset came back: the packet got through, nothing
//        listens), "timeout" (dropped: what a NetworkPolicy denial looks like).
//   UDP: "open" when an answer comes back (the servers probed echo), else "timeout"; the datagram
//        is resent every 200 ms in case one is lost.
import { createSocket } from "node:dgram";
import { connect } from "node:net";

export interface Target {
  ip: string;
  protocol: "TCP" | "UDP";
  port: number;
}
export type Outcome = "open" | "refused" | "timeout" | "error";

function tcp(t: Target, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect({ host: t.ip, port: t.port });
    const done = (outcome: Outcome) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => done("timeout"), timeoutMs);
    socket.on("connect", () => done("open"));
    socket.on("error", (error: NodeJS.ErrnoException) =>
      done(error.code === "ECONNREFUSED" ? "refused" : error.code === "ETIMEDOUT" ? "timeout" : "error"),
    );
  });
}

function udp(t: Target, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = createSocket("udp4");
    const send = () => socket.send("devstack-probe", t.port, t.ip, () => undefined);
    const done = (outcome: Outcome) => {
      clearTimeout(timer);
      clearInterval(resend);
      socket.close();
      resolve(outcome);
    };
    const timer = setTimeout(() => done("timeout"), timeoutMs);
    const resend = setInterval(send, 200);
    socket.on("message", () => done("open"));
    // An ICMP port unreachable surfaces as ECONNREFUSED on a connected socket only; this one is not.
    socket.on("error", () => done("error"));
    send();
  });
}

/** Probes every target at once; the outcomes in the targets' order. */
export const probeTargets = (targets: readonly Target[], timeoutMs: number): Promise<Outcome[]> =>
  Promise.all(targets.map((t) => (t.protocol === "UDP" ? udp(t, timeoutMs) : tcp(t, timeoutMs))));

/** The program: targets and timeout from the last two arguments, the outcomes as JSON on stdout. */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  const [targetsArgument, timeoutArgument] = argv.slice(-2);
  const targets = JSON.parse(targetsArgument ?? "[]") as Target[];
  process.stdout.write(JSON.stringify(await probeTargets(targets, Number(timeoutArgument ?? 1000))));
}
