import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../src/paths.ts";
import { runScript } from "../support/cli.ts";

// Every command of package.json that runs one of our entry points (scripts/ and bench/).
const scripts = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).scripts as Record<
  string,
  string
>;
const commands = Object.entries(scripts).flatMap(([name, line]) => {
  const match = /^node ((?:scripts|bench)\/[\w-]+)\.ts((?: [\w-]+)*)$/.exec(line);
  return match?.[1] ? [{ name, entry: match[1], args: (match[2] ?? "").split(" ").filter(Boolean) }] : [];
});

describe("every command", () => {
  it("is in the table: every command of package.json that runs TypeScript runs an entry point of scripts/ or bench/", () => {
    const tsCommands = Object.entries(scripts).filter(([, line]) => /\.ts\b/.test(line));
    expect(commands.map((c) => c.name)).toEqual(tsCommands.map(([name]) => name));
    expect(commands.map((c) => c.name)).toEqual(expect.arrayContaining(["dev:up", "env:list", "kind:check"]));
  });

  // Flags are parsed before anything else happens, so none of these reaches Docker or the network.
  // Each is a whole Node process: seconds apiece on a busy 2-core machine.
  it.concurrent.each(commands)(
    "$name rejects an unknown flag, naming it and listing the valid ones",
    { timeout: 120_000 },
    async ({ name, entry, args }) => {
      const result = await runScript(entry, [...args, "--no-such-flag"], {
        env: { DOCKER_HOST: "unix:///tmp/devstack-no-such.sock" },
      });
      expect(result.stderr).toContain(`error: ${name}: Unknown option '--no-such-flag'`);
      expect(result.stderr).toMatch(/\nvalid flags: /);
      expect(result.exitCode).toBe(1);
    },
  );
});
