// pnpm bench:env-cycles [--cycles N] [--killed K]
// N dev:up/dev:down cycles of one environment name, K of them killed with SIGKILL (whole process
// group) mid-up, then env:gc; prints what is left: containers, networks and volumes labelled for
// that environment and its nftables table must be 0. Also times the cycles.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { entryPointCommand } from "../src/cli/entry-point.ts";
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { ensureEngine } from "../src/docker/cli.ts";
import { listResources } from "../src/docker/resources.ts";
import { UserError } from "../src/errors.ts";
import { listTables } from "../src/firewall/nft.ts";
import { firewallRunner } from "../src/firewall/runner.ts";
import { LABEL } from "../src/labels.ts";
import { tableName } from "../src/netpol/nftables.ts";

await runMain(async () => {
  const { values } = parseFlags("bench:env-cycles", process.argv.slice(2), {
    cycles: { type: "string", default: "20" },
    killed: { type: "string", default: "5" },
  });
  const cycles = Number(values.cycles);
  const killed = Number(values.killed);
  if (!Number.isInteger(cycles) || !Number.isInteger(killed) || killed > cycles || cycles < 1)
    throw new UserError("--cycles and --killed: whole numbers, killed <= cycles");
  await ensureEngine();
  const stateDir = mkdtempSync(join(tmpdir(), "devstack-cycles-"));
  const name = `cycles-${process.pid}`;
  const env = { DEVSTACK_STATE_DIR: stateDir };
  const script = (s: string, args: string[], detached = false) =>
    execa(...entryPointCommand(s, args), { env, reject: false, detached });
  // Spread the killed cycles evenly, the last cycle among them: the next `up` of the name recovers
  // from the others, and env:gc must collect what the last one left.
  const killAt = new Set(
    Array.from({ length: killed }, (_, i) => cycles - 1 - Math.floor((i * cycles) / killed)),
  );
  const began = performance.now();
  try {
    for (let i = 0; i < cycles; i++) {
      if (killAt.has(i)) {
        const child = script("dev-up", ["--name", name], true);
        await new Promise<void>((resolve) =>
          child.stdout?.on("data", (c: Buffer) => /starting/.test(c.toString()) && resolve()),
        );
        if (child.pid) process.kill(-child.pid, "SIGKILL");
        await child;
        console.log(`cycle ${i + 1}: dev:up killed with SIGKILL mid-way`);
      } else {
        const up = await script("dev-up", ["--name", name]);
        if (up.exitCode !== 0) throw new Error(`cycle ${i + 1}: dev:up failed:\n${up.stderr}`);
        const down = await script("dev-down", ["--name", name]);
        if (down.exitCode !== 0) throw new Error(`cycle ${i + 1}: dev:down failed:\n${down.stderr}`);
        console.log(`cycle ${i + 1}: up and down`);
      }
    }
    const before = (await listResources(`${LABEL.env}=${name}`)).length;
    const gc = await script("env-gc", []);
    console.log(
      `before env:gc: ${before} resource(s) of the environment; env:gc: ${gc.stdout.split("\n").slice(-1)[0]}`,
    );
    // Ask Docker directly, not through the labels env:gc uses, for anything named after the env.
    const named = async (what: string[]) =>
      (await execa("docker", [...what, "--filter", `name=azora-${name}`, "-q"])).stdout
        .split("\n")
        .filter(Boolean).length;
    const left = await listResources(`${LABEL.env}=${name}`);
    const count = (kind: string) => left.filter((r) => r.kind === kind).length;
    console.log(
      `${cycles} cycles (${killed} killed mid-up) in ${((performance.now() - began) / 1000).toFixed(0)} s, then env:gc`,
    );
    console.log(
      `left behind: containers ${count("container")} (by name: ${await named(["ps", "-a"])}), networks ${count("network")} (by name: ${await named(["network", "ls"])}), volumes ${count("volume")} (by name: ${await named(["volume", "ls"])}) (target 0 each)`,
    );
    const tables = (await listTables(await firewallRunner())).filter((t) => t === tableName(name)).length;
    console.log(`firewall tables: ${tables} (inet ${tableName(name)}; target 0)`);
  } finally {
    await script("dev-down", ["--name", name]);
    rmSync(stateDir, { recursive: true, force: true });
  }
});
