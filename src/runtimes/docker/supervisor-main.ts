// The liveness supervisor: what the kubelet does with livenessProbes, for one environment on
// Docker. It runs as a container of the environment (started last by `dev:up`, removed with it),
// probes every container that carries a liveness label over the environment's network, and
// restarts one after `failureThreshold` consecutive failures. It talks to the Docker API over
// the mounted socket. Configuration: DEVSTACK_ENV (the environment's name).
import { request } from "node:http";
import { connect } from "node:net";

interface Liveness {
  kind: "http" | "tcp";
  path?: string;
  port: number;
  periodSeconds: number;
  failureThreshold: number;
}

const ENV = process.env.DEVSTACK_ENV ?? "";
const log = (level: number, msg: string, extra: object = {}) =>
  console.log(
    JSON.stringify({ level, time: new Date().toISOString(), service: "devstack-supervisor", msg, ...extra }),
  );

function dockerApi(method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: "/var/run/docker.sock", method, path }, (res) => {
      let body = "";
      res.on("data", (c) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

function probe(host: string, l: Liveness): Promise<boolean> {
  if (l.kind === "tcp") {
    return new Promise((resolve) => {
      const socket = connect({ host, port: l.port, timeout: 2_000 }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
      socket.on("timeout", () => {
        socket.destroy();
        resolve(false);
      });
    });
  }
  return fetch(`http://${host}:${l.port}${l.path ?? "/"}`, { signal: AbortSignal.timeout(2_000) }).then(
    (r) => r.status >= 200 && r.status < 400,
    () => false,
  );
}

const failures = new Map<string, number>();
const lastProbe = new Map<string, number>();

async function tick() {
  const filters = encodeURIComponent(
    JSON.stringify({ label: [`dev.azora.devstack.env=${ENV}`, "dev.azora.devstack.liveness"] }),
  );
  const { body } = await dockerApi("GET", `/containers/json?filters=${filters}`);
  const containers = JSON.parse(body) as {
    Id: string;
    Names: string[];
    Labels: Record<string, string>;
    State: string;
  }[];
  for (const c of containers) {
    const name = (c.Names[0] ?? "").replace(/^\//, "");
    const l = JSON.parse(c.Labels["dev.azora.devstack.liveness"] ?? "{}") as Liveness;
    if (c.State !== "running" || Date.now() - (lastProbe.get(name) ?? 0) < l.periodSeconds * 1000) continue;
    lastProbe.set(name, Date.now());
    if (await probe(name, l)) {
      failures.set(name, 0);
      continue;
    }
    const count = (failures.get(name) ?? 0) + 1;
    failures.set(name, count);
    log(40, "liveness probe failed", { container: name, failures: count, threshold: l.failureThreshold });
    if (count >= l.failureThreshold) {
      failures.set(name, 0);
      const result = await dockerApi("POST", `/containers/${c.Id}/restart?t=10`);
      log(
        result.status < 300 ? 30 : 50,
        result.status < 300 ? "restarted after failed liveness probes" : "restart failed",
        { container: name, status: result.status },
      );
    }
  }
}

log(30, "supervising", { env: ENV });
for (;;) {
  await tick().catch((error: Error) => log(50, "supervisor tick failed", { err: error.message }));
  await new Promise((r) => setTimeout(r, 1_000));
}
