// pnpm bench:gateway [--runs N] [--seconds S] [--rate R] [--connections C]
// The gateway's cost: the same authenticated request (GET /users/{id}) at the same rate, direct to
// user-service and through the Tyk gateway (JWT check, rate limits, the revocation check against
// session-service), in one run on a dev environment of its own; p50/p95, requests/s and the p95
// ratio (target <= 1.3), median of N runs alternating the order. Beside them, at the same rate, the
// revocation check's own call (session-service's GET /sessions/current with that token), to show
// how much of the gateway's cost is the check. Also the gateway's time to ready inside dev:up.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { ensureEngine } from "../src/docker/cli.ts";
import { UserError } from "../src/errors.ts";
import { median } from "../src/stats.ts";
import { runScript } from "../tests/support/cli.ts";
import { type LoadResult, load } from "./autocannon.ts";

await runMain(async () => {
  const { values } = parseFlags("bench:gateway", process.argv.slice(2), {
    runs: { type: "string", default: "3" },
    seconds: { type: "string", default: "10" },
    rate: { type: "string", default: "40" },
    connections: { type: "string", default: "8" },
  });
  const whole = (flag: "runs" | "seconds" | "rate" | "connections") => {
    const n = Number(values[flag]);
    if (!Number.isInteger(n) || n < 1) throw new UserError(`--${flag}: expected a whole number >= 1`);
    return n;
  };
  const [runs, seconds, rate, connections] = [
    whole("runs"),
    whole("seconds"),
    whole("rate"),
    whole("connections"),
  ];
  await ensureEngine();
  const stateDir = mkdtempSync(join(tmpdir(), "devstack-bench-"));
  const env = { DEVSTACK_STATE_DIR: stateDir };
  const name = `bench-gw-${process.pid}`;
  try {
    const up = await runScript("dev-up", ["--name", name], { env });
    if (up.exitCode !== 0) throw new UserError(`dev:up failed:\n${up.all}`);
    const url = (label: string) =>
      new RegExp(`\\n {2}${label}\\s+(http://127\\.0\\.0\\.1:\\d+)`).exec(up.stdout)?.[1] ?? "";
    const gateway = url("gateway");
    const users = url("user-service");
    const sessions = url("session-service");
    const ready = /tyk-gateway: ready in ([\d.]+)s/.exec(up.stdout)?.[1];
    const login = await fetch(`${gateway}/api/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "user1@seed.azora.dev", password: "azora-seed-password" }),
    });
    const { token, userId } = (await login.json()) as { token: string; userId: string };
    const headers = { authorization: `Bearer ${token}` };
    const runOne = (base: string, path: string) =>
      load({ url: base, path: () => path, connections, seconds, rate, headers });
    const direct: LoadResult[] = [];
    const through: LoadResult[] = [];
    const check: LoadResult[] = [];
    for (let i = 0; i < runs; i++) {
      // Alternate which goes first, so a warming or cooling machine favours neither.
      if (i % 2 === 0) {
        direct.push(await runOne(users, `/users/${userId}`));
        through.push(await runOne(gateway, `/api/users/${userId}`));
      } else {
        through.push(await runOne(gateway, `/api/users/${userId}`));
        direct.push(await runOne(users, `/users/${userId}`));
      }
      check.push(await runOne(sessions, "/sessions/current"));
    }
    const line = (what: string, rs: LoadResult[]) =>
      `${what}: p50 ${median(rs.map((r) => r.p50)).toFixed(1)} ms, p95 ${median(rs.map((r) => r.p95)).toFixed(1)} ms, ${median(rs.map((r) => r.requestsPerSecond)).toFixed(1)} req/s, non-2xx ${rs.reduce((n, r) => n + r.non2xx, 0)}`;
    console.log(
      `GET /users/{id} at ${rate} req/s over ${connections} connections, ${runs} x ${seconds} s, medians:`,
    );
    console.log(`  ${line("direct to user-service", direct)}`);
    console.log(`  ${line("through the gateway", through)}`);
    console.log(`  ${line("the session check alone (session-service)", check)}`);
    const ratio = median(through.map((r) => r.p95)) / median(direct.map((r) => r.p95));
    console.log(`  p95 ratio gateway / direct: ${ratio.toFixed(2)} (target <= 1.3)`);
    console.log(`gateway ready ${ready ?? "?"} s after its container started (dev:up)`);
  } finally {
    await runScript("dev-down", ["--name", name], { env });
    rmSync(stateDir, { recursive: true, force: true });
  }
});
