import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { age, checkCapacity, extendEnvironment, maxEnvironments, timeLeft } from "../../src/env/lifetime.ts";
import { readEnvState, writeEnvState } from "../../src/env/state.ts";
import type { EnvironmentListing } from "../../src/runtimes/runtime.ts";
import { envState } from "../support/env-state.ts";
import { userErrorFrom } from "../support/thrown.ts";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "devstack-lifetime-"));
  process.env.DEVSTACK_STATE_DIR = dir;
});
afterEach(() => {
  delete process.env.DEVSTACK_STATE_DIR;
  delete process.env.DEVSTACK_MAX_ENVS;
  rmSync(dir, { recursive: true, force: true });
});

const record = (name: string, createdAt: string) =>
  envState({ name, env: "pr", createdAt, expiresAt: "2026-12-01T18:00:00.000Z" });
const listing = (
  name: string,
  { stale, createdAt }: { stale?: string; createdAt?: string } = {},
): EnvironmentListing => ({
  name,
  runtime: "docker",
  owner: "ci",
  purpose: "pr",
  ...(createdAt ? { createdAt } : {}),
  status: "ready",
  holds: "9/1/1 ctr/net/vol",
  expires: "2026-12-01T18:00:00.000Z",
  ...(stale ? { stale } : {}),
});

describe("an environment's lifetime", () => {
  it("env:extend sets the expiry that far from now, in the record", () => {
    writeEnvState(record("pr-1", "2026-12-01T10:00:00.000Z"));
    const now = new Date("2026-12-01T17:30:00.000Z");
    expect(extendEnvironment("pr-1", 4 * 3_600_000, now)).toEqual({
      before: "2026-12-01T18:00:00.000Z",
      after: "2026-12-01T21:30:00.000Z",
    });
    expect(readEnvState("pr-1")?.expiresAt).toBe("2026-12-01T21:30:00.000Z");
    expect(userErrorFrom(() => extendEnvironment("pr-2", 1)).message).toBe(
      "environment 'pr-2' is not known here",
    );
  });

  it("the cap counts running environments (not this one, not stale ones, not test runs) and names the oldest", () => {
    const listings = [
      listing("pr-1", { createdAt: "2026-12-01T09:00:00.000Z" }),
      listing("pr-2", { createdAt: "2026-12-01T08:00:00.000Z" }),
      listing("pr-3", { createdAt: "2026-12-01T10:00:00.000Z" }),
      listing("old", { stale: "TTL expired" }),
      listing("(test run)"),
    ];
    expect(() => checkCapacity("pr-4", listings, 4)).not.toThrow();
    expect(() => checkCapacity("pr-3", listings, 3)).not.toThrow();
    const error = userErrorFrom(() => checkCapacity("pr-4", listings, 3));
    expect(error.message).toBe("this machine already runs 3 environments (at most 3, DEVSTACK_MAX_ENVS)");
    expect(error.hint).toBe(
      "The oldest: pr-2 (docker, since 2026-12-01T08:00:00.000Z), pr-1 (docker, since 2026-12-01T09:00:00.000Z), pr-3 (docker, since 2026-12-01T10:00:00.000Z). Remove one with `pnpm dev:down --name NAME`.",
    );
  });

  it("the cap is 8 unless DEVSTACK_MAX_ENVS says, and that must be a whole number", () => {
    expect(maxEnvironments()).toBe(8);
    process.env.DEVSTACK_MAX_ENVS = "3";
    expect(maxEnvironments()).toBe(3);
    process.env.DEVSTACK_MAX_ENVS = "0";
    expect(userErrorFrom(() => maxEnvironments()).message).toBe(
      "DEVSTACK_MAX_ENVS: '0' is not a whole number >= 1",
    );
  });

  it("shows time left and age as people read them", () => {
    const now = new Date("2026-12-01T12:00:00.000Z");
    expect(timeLeft("2026-12-01T15:12:30.000Z", now)).toBe("3h12m");
    expect(timeLeft("2026-12-01T12:45:00.000Z", now)).toBe("45m");
    expect(timeLeft("2026-12-01T11:59:59.000Z", now)).toBe("expired");
    expect(timeLeft("-", now)).toBe("-");
    expect(age("2026-12-01T11:59:18.000Z", now)).toBe("42s");
    expect(age("2026-12-01T11:43:00.000Z", now)).toBe("17m");
    expect(age("2026-12-01T07:00:00.000Z", now)).toBe("5h");
  });
});
