import { describe, expect, it, vi } from "vitest";
import { UserError } from "../../src/errors.ts";
import { runScript } from "../support/cli.ts";

// These run the real entry points; none of them reaches a Docker engine.
describe("command errors", () => {
  it("no Docker engine: one clear message, exit 1, no stack trace", async () => {
    const result = await runScript("images-build", [], {
      env: { DOCKER_HOST: "unix:///tmp/devstack-no-such.sock" },
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      /^error: no Docker engine is reachable \(nothing answers at unix:\/\/\/tmp\/devstack-no-such\.sock\)\./,
    );
    expect(result.stderr).toMatch(/Start Docker/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("DEVSTACK_NFT other than host or docker: an error naming it and the choices, before any nft runs", async () => {
    vi.stubEnv("DEVSTACK_NFT", "iptables");
    const { firewallRunner } = await import("../../src/firewall/runner.ts");
    const failure = firewallRunner();
    await expect(failure).rejects.toBeInstanceOf(UserError);
    await expect(failure).rejects.toThrow("DEVSTACK_NFT: 'iptables' is not one of: host, docker");
    vi.unstubAllEnvs();
  });

  it("an unknown flag lists the valid ones", async () => {
    const result = await runScript("dev-down", ["--keepdata"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/dev:down: Unknown option '--keepdata'/);
    expect(result.stderr).toMatch(/valid flags: --name VALUE, --keep-data/);
  });

  it("an invalid value names the flag and what was expected", async () => {
    const source = await runScript("images-build", ["--source", "registry"]);
    expect(source.exitCode).toBe(1);
    expect(source.stderr).toMatch(
      /--source: 'registry' is not valid; expected one of: auto, recipe, upstream/,
    );
    const name = await runScript("dev-up", ["--name", "Bad_Name"]);
    expect(name.exitCode).toBe(1);
    expect(name.stderr).toMatch(/--name: 'Bad_Name' is not a valid environment name/);
  });
});
