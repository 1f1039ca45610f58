// pnpm bench:dev-up [--runs N] [--env dev] [--runtime docker|kind]
// Wall time of `dev:up` to all-ready (images present), of a second `dev:up` of the healthy
// environment, of `dev:up --dry-run` and of `dev:down`, as the user runs them (whole commands),
// median of N cycles, in a state folder of its own; then the same environment exported with
// `dev:export compose` and brought up with `docker compose up --wait`, for the ratio. With
// `--runtime kind`, the Docker runtime's dev:up is timed in the same runs too. A runtime that
// cannot bring an environment up here says why, after timing its plan.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { entryPointCommand } from "../src/cli/entry-point.ts";
import { oneOf, parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { ensureEngine } from "../src/docker/cli.ts";
import { UserError } from "../src/errors.ts";
import { resolveImages } from "../src/images/resolve.ts";
import { RUNTIME_NAMES } from "../src/runtimes/runtime.ts";
import { median } from "../src/stats.ts";

await runMain(async () => {
  const { values } = parseFlags("bench:dev-up", process.argv.slice(2), {
    runs: { type: "string", default: "5" },
    env: { type: "string", default: "dev" },
    runtime: { type: "string", default: "docker" },
  });
  const runtime = oneOf("runtime", values.runtime ?? "docker", RUNTIME_NAMES);
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new UserError("--runs: expected a whole number >= 1");
  await ensureEngine();
  await resolveImages({ silent: true }); // images present: the figure is the runtime's, not the build's
  const stateDir = mkdtempSync(join(tmpdir(), "devstack-bench-"));
  const name = `bench-${process.pid}`;
  const script = (s: string, args: string[]) =>
    execa(...entryPointCommand(s, args), {
      env: { DEVSTACK_STATE_DIR: stateDir },
    });
  const timed = async (body: () => Promise<unknown>) => {
    const began = performance.now();
    await body();
    return (performance.now() - began) / 1000;
  };
  const up: number[] = [];
  const again: number[] = [];
  const dryRun: number[] = [];
  const down: number[] = [];
  const dockerUp: number[] = [];
  const composeUp: number[] = [];
  const composeDown: number[] = [];
  const file = join(stateDir, "compose.yaml");
  const compose = (...args: string[]) => execa("docker", ["compose", "-f", file, ...args]);
  const fmt = (xs: number[]) =>
    `median ${median(xs).toFixed(2)} s (runs: ${xs.map((x) => x.toFixed(2)).join(", ")})`;
  const upArgs = ["--env", values.env ?? "dev", "--name", name, "--runtime", runtime];
  if (runtime !== "docker") {
    // Where this runtime cannot bring an environment up (Kind without its node image), say why and
    // measure what runs anyway: the plan.
    const first = await execa(...entryPointCommand("dev-up", upArgs), {
      env: { DEVSTACK_STATE_DIR: stateDir },
      reject: false,
    });
    if (first.exitCode !== 0) {
      for (let i = 0; i < runs; i++)
        dryRun.push(await timed(() => script("dev-up", [...upArgs, "--dry-run"])));
      rmSync(stateDir, { recursive: true, force: true });
      const lines = first.stderr.split("\n");
      // The failed action (its line starts `error: ACTION:`) and the tool's own reason, if it gave one.
      const action = /^error: ([\w ]+):/.exec(lines.find((l) => l.startsWith("error: ")) ?? "")?.[1];
      const reason = lines.find((l) => l.startsWith("ERROR: ")) ?? lines.find((l) => l.startsWith("error: "));
      console.log(`dev:up --dry-run --runtime ${runtime} (the plan, nothing started): ${fmt(dryRun)}`);
      console.log(
        `dev:up --runtime ${runtime}: not runnable here: ${action ? `${action}: ` : ""}${reason ?? `exit ${first.exitCode}`}`,
      );
      return;
    }
    await script("dev-down", ["--name", name]);
  }
  try {
    for (let i = 0; i < runs; i++) {
      dryRun.push(await timed(() => script("dev-up", [...upArgs, "--dry-run"])));
      up.push(await timed(() => script("dev-up", upArgs)));
      again.push(await timed(() => script("dev-up", upArgs)));
      down.push(await timed(() => script("dev-down", ["--name", name])));
      if (runtime !== "docker") {
        // The Docker runtime in the same run, for the ratio (the machine's load is the same).
        dockerUp.push(await timed(() => script("dev-up", [...upArgs.slice(0, -1), "docker"])));
        await script("dev-down", ["--name", name]);
      }
    }
    // The same environment exported for compose, measured in the same run for the ratio.
    await script("dev-export", ["compose", "--env", values.env ?? "dev", "--name", name, "-o", file]);
    for (let i = 0; i < runs; i++) {
      composeUp.push(await timed(() => compose("up", "--wait")));
      composeDown.push(await timed(() => compose("down", "--volumes")));
    }
  } finally {
    await script("dev-down", ["--name", name]).catch(() => {});
    await compose("down", "--volumes").catch(() => {});
    rmSync(stateDir, { recursive: true, force: true });
  }
  console.log(
    `dev:up --env ${values.env} --runtime ${runtime} (to all-ready, seed included): ${fmt(up)} (target <= ${runtime === "docker" ? 6 : 90} s)`,
  );
  if (dockerUp.length > 0)
    console.log(
      `dev:up --runtime docker in the same run: ${fmt(dockerUp)}; ratio ${runtime}/docker ${(median(up) / median(dockerUp)).toFixed(1)}`,
    );
  console.log(`dev:up again (the environment healthy, reused): ${fmt(again)} (target <= 1.5 s)`);
  console.log(`dev:up --dry-run (the plan, nothing started): ${fmt(dryRun)}`);
  console.log(`dev:down: ${fmt(down)} (target <= 10 s)`);
  console.log(`docker compose up --wait (exported file): ${fmt(composeUp)}`);
  console.log(`docker compose down --volumes: ${fmt(composeDown)}`);
  console.log(
    `ratio dev:up / compose up --wait: ${(median(up) / median(composeUp)).toFixed(2)} (target <= 0.8)`,
  );
});
