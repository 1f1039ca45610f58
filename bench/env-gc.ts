// pnpm bench:env-gc [--envs 10] [--runs 5]
// env:gc with N environments present (dev, each brought up here): its time when none is stale (the
// scheduled run's usual case: list, judge, leave), median of several runs, and when all N have
// expired (each env:extend'ed to 1 s), one run removing them all. Exits 1 unless the first removed
// nothing of ours and the second everything.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { entryPointCommand } from "../src/cli/entry-point.ts";
import { parseFlags, wholeNumber } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { ensureEngine } from "../src/docker/cli.ts";
import { listResources } from "../src/docker/resources.ts";
import { LABEL } from "../src/labels.ts";
import { median } from "../src/stats.ts";

await runMain(async () => {
  const { values } = parseFlags("bench:env-gc", process.argv.slice(2), {
    envs: { type: "string", default: "10" },
    runs: { type: "string", default: "5" },
  });
  const count = wholeNumber("envs", values.envs, 1, 20);
  const runs = wholeNumber("runs", values.runs, 1);
  await ensureEngine();
  const stateDir = mkdtempSync(join(tmpdir(), "devstack-gc-bench-"));
  const env = { DEVSTACK_STATE_DIR: stateDir, DEVSTACK_MAX_ENVS: String(count + 8) };
  const names = Array.from({ length: count }, (_, i) => `gcbench-${process.pid}-${i + 1}`);
  const script = async (s: string, args: string[]) => {
    const began = performance.now();
    const result = await execa(...entryPointCommand(s, args), { env, reject: false, all: true });
    if (result.exitCode !== 0) throw new Error(`${s} ${args.join(" ")} failed:\n${result.all}`);
    return { seconds: (performance.now() - began) / 1000, output: result.stdout };
  };
  const ours = async () =>
    (await Promise.all(names.map((n) => listResources(`${LABEL.env}=${n}`)))).flat().length;
  try {
    const ups: number[] = [];
    for (const name of names) {
      ups.push((await script("dev-up", ["--name", name])).seconds);
      console.log(`${name}: up in ${ups.at(-1)?.toFixed(1)} s`);
    }
    const resources = await ours();
    console.log(`${count} environments up (median ${median(ups).toFixed(1)} s each), ${resources} resources`);

    const idle: number[] = [];
    for (let i = 0; i < runs; i++) idle.push((await script("env-gc", [])).seconds);
    const left = await ours();
    if (left !== resources) process.exitCode = 1;
    console.log(
      `env:gc, none stale: median ${median(idle).toFixed(2)} s of ${runs} (${idle.map((s) => s.toFixed(2)).join(", ")}); ${left === resources ? "removed nothing of ours" : `REMOVED ${resources - left} resources of ours`}`,
    );

    for (const name of names) await script("env-extend", [name, "--ttl", "1s"]);
    await new Promise((r) => setTimeout(r, 1_500));
    const sweep = await script("env-gc", []);
    const collected = names.filter((n) => sweep.output.includes(`env ${n}:`)).length;
    const after = await ours();
    if (collected !== count || after !== 0) process.exitCode = 1;
    console.log(
      `env:gc, all ${count} expired: ${sweep.seconds.toFixed(1)} s, ${collected} of ${count} collected, ${after} resources of theirs left (target 0)`,
    );
  } finally {
    for (const name of names)
      await execa(...entryPointCommand("dev-down", ["--name", name]), { env, reject: false });
    rmSync(stateDir, { recursive: true, force: true });
  }
});
