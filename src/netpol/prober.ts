// Opens fresh connections from inside a pod's network namespace and prints what happened to each,
// as JSON on stdout. Started there with `nsenter --net` on Docker and Kind (runtimes/docker/
// policy-probe.ts), or as an ephemeral container of the pod on a cluster (runtimes/cluster/
// policy-probe.ts). Standalone on purpose: it imports nothing but Node, and runs as
// `node prober.ts '<targets as JSON>' <timeoutMs>` (Node's type stripping) or, types stripped by
// esbuild, as `node --input-type=module -e '<script>' '<targets>' <timeoutMs>`: the last two
// arguments either way.
//   TCP: "open" (connected), "refused" (a reset came back: the packet got through, nothing
//        listens), "timeout" (dropped: what a NetworkPolicy denial looks like).
//   UDP: "open" when an answer comes back (the servers probed echo), else "timeout"; the datagram
//        is resent every 200 ms in case one is lost.
import { createSocket } from "node:dgram";
import { connect } from "node:net";

interface Target {
  ip: string;
  protocol: "TCP" | "UDP";
  port: number;
}
type Outcome = "open" | "refused" | "timeout" | "error";

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

const [targetsArgument, timeoutArgument] = process.argv.slice(-2);
const targets = JSON.parse(targetsArgument ?? "[]") as Target[];
const timeoutMs = Number(timeoutArgument ?? 1000);
const outcomes = await Promise.all(
  targets.map((t) => (t.protocol === "UDP" ? udp(t, timeoutMs) : tcp(t, timeoutMs))),
);
process.stdout.write(JSON.stringify(outcomes));
