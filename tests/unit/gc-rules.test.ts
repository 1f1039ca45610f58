import { describe, expect, it, vi } from "vitest";
import type { Resource } from "../../src/docker/resources.ts";
import { staleReason } from "../../src/env/stale.ts";
import type { EnvState } from "../../src/env/state.ts";
import { currentRun, devstackLabels, LABEL, recordsId, runIsAlive } from "../../src/labels.ts";
import { groupResources } from "../../src/runtimes/docker/gc.ts";
import { envState } from "../support/env-state.ts";

const now = new Date("2026-11-26T12:00:00Z");
const later = "2026-11-27T00:00:00.000Z";
const earlier = "2026-11-26T00:00:00.000Z";

const resource = (kind: Resource["kind"], name: string, labels: Record<string, string>): Resource => ({
  kind,
  id: name,
  name,
  labels: { [LABEL.managed]: "true", ...labels },
});
const state = (status: EnvState["status"], run: string) =>
  envState({ name: "dev", status, run, createdAt: earlier, expiresAt: later });

describe("gc rules", () => {
  const alive = (run: string) => run === "live";

  it("groups by environment, else by run, and keeps the longest expiry", () => {
    const groups = groupResources([
      resource("container", "a", {
        [LABEL.env]: "dev",
        [LABEL.run]: "r1",
        [LABEL.expires]: earlier,
        [LABEL.purpose]: "env",
      }),
      resource("network", "n", {
        [LABEL.env]: "dev",
        [LABEL.run]: "r2",
        [LABEL.expires]: later,
        [LABEL.purpose]: "env",
      }),
      resource("container", "t", { [LABEL.run]: "r3", [LABEL.expires]: later, [LABEL.purpose]: "test" }),
    ]);
    expect(groups.map((g) => [g.key, g.resources.length, g.expires])).toEqual([
      ["env dev", 2, later],
      ["run r3", 1, later],
    ]);
  });

  it("collects expired groups, dead test runs and interrupted ups; keeps the rest", () => {
    const group = (labels: Record<string, string>) => {
      const [only] = groupResources([resource("container", "x", labels)]);
      if (!only) throw new Error("one resource makes one group");
      return only;
    };
    const test = (run: string, expires = later) =>
      group({ [LABEL.run]: run, [LABEL.expires]: expires, [LABEL.purpose]: "test" });
    const env = (run: string) =>
      group({ [LABEL.env]: "dev", [LABEL.run]: run, [LABEL.expires]: later, [LABEL.purpose]: "env" });

    expect(staleReason(test("live", earlier), undefined, now, alive)).toMatch(/TTL expired/);
    expect(staleReason(test("dead"), undefined, now, alive)).toMatch(/run that created it .* is gone/);
    expect(staleReason(test("live"), undefined, now, alive)).toBeUndefined();

    expect(staleReason(env("dead"), state("ready", "dead"), now, alive)).toBeUndefined();
    expect(staleReason(env("dead"), state("starting", "dead"), now, alive)).toMatch(/interrupted/);
    expect(staleReason(env("live"), state("starting", "live"), now, alive)).toBeUndefined();
    expect(staleReason(env("dead"), undefined, now, alive)).toMatch(/no state is recorded/);
  });

  it("judges our environment's TTL by its record, which env:extend moves, not by its fixed labels", () => {
    const [labelled] = groupResources([
      resource("container", "x", {
        [LABEL.env]: "dev",
        [LABEL.run]: "live",
        [LABEL.records]: "ours",
        [LABEL.expires]: earlier,
      }),
    ]);
    if (!labelled) throw new Error("one resource makes one group");
    // Labels say expired; the record (extended) says later: kept.
    expect(staleReason(labelled, state("ready", "live"), now, alive, "ours")).toBeUndefined();
    // No record: the labels decide.
    expect(staleReason(labelled, undefined, now, alive, "ours")).toBe(`TTL expired at ${earlier}`);
    // The record expired although the labels have not yet.
    const [fresh] = groupResources([
      resource("container", "y", {
        [LABEL.env]: "dev",
        [LABEL.run]: "live",
        [LABEL.records]: "ours",
        [LABEL.expires]: later,
      }),
    ]);
    if (!fresh) throw new Error("one resource makes one group");
    expect(staleReason(fresh, { ...state("ready", "live"), expiresAt: earlier }, now, alive, "ours")).toBe(
      `TTL expired at ${earlier}`,
    );
  });

  it("judges an environment recorded in another state folder by its TTL alone", () => {
    const [mine] = groupResources([
      resource("container", "x", {
        [LABEL.env]: "dev",
        [LABEL.run]: "dead",
        [LABEL.records]: "ours",
        [LABEL.expires]: later,
      }),
    ]);
    const [theirs] = groupResources([
      resource("container", "y", {
        [LABEL.env]: "dev",
        [LABEL.run]: "dead",
        [LABEL.records]: "theirs",
        [LABEL.expires]: later,
      }),
    ]);
    const [expired] = groupResources([
      resource("container", "z", {
        [LABEL.env]: "dev",
        [LABEL.run]: "dead",
        [LABEL.records]: "theirs",
        [LABEL.expires]: earlier,
      }),
    ]);
    if (!mine || !theirs || !expired) throw new Error("one resource makes one group");
    expect(staleReason(mine, undefined, now, alive, "ours")).toMatch(/no state is recorded/);
    expect(staleReason(theirs, undefined, now, alive, "ours")).toBeUndefined();
    expect(staleReason(theirs, state("starting", "dead"), now, alive, "ours")).toBeUndefined();
    expect(staleReason(expired, undefined, now, alive, "ours")).toMatch(/TTL expired/);
    // Every environment made from now on says which folder keeps its record.
    expect(devstackLabels({ purpose: "env", env: "dev", ttlMs: 1 })[LABEL.records]).toBe(recordsId());
  });

  it("collects an environment a test of a gone run made, wherever it is recorded; keeps a live run's", () => {
    const made = (testRun: string) => {
      const [only] = groupResources([
        resource("network", "n", {
          [LABEL.env]: "netpol-1",
          [LABEL.run]: "dead", // the dev:up that made it: ended, as every dev:up does
          [LABEL.records]: "theirs",
          [LABEL.expires]: later,
          [LABEL.purpose]: "env",
          [LABEL.testRun]: testRun,
        }),
      ]);
      if (!only) throw new Error("one resource makes one group");
      return only;
    };
    expect(staleReason(made("gone-run"), undefined, now, alive, "ours")).toBe(
      "the test run that made it (gone-run) is gone",
    );
    expect(staleReason(made("live"), undefined, now, alive, "ours")).toBeUndefined();
    expect(staleReason(made("live"), state("ready", "dead"), now, alive, "theirs")).toBeUndefined();
  });

  it("labels what is made under a test run with that run", () => {
    vi.stubEnv("DEVSTACK_TEST_RUN", "host:42:7");
    try {
      expect(devstackLabels({ purpose: "env", env: "dev", ttlMs: 1 })[LABEL.testRun]).toBe("host:42:7");
    } finally {
      vi.unstubAllEnvs();
    }
    expect(devstackLabels({ purpose: "env", env: "dev", ttlMs: 1 })[LABEL.testRun]).toBeUndefined();
  });

  it("knows this process is alive and a made-up pid on this host is not", () => {
    expect(runIsAlive(currentRun())).toBe(true);
    const [host] = currentRun().split(":");
    expect(runIsAlive(`${host}:4194000:1`)).toBe(false);
    // Same pid, other start time: a reused pid is not the run that wrote the label.
    const [, pid] = currentRun().split(":");
    expect(runIsAlive(`${host}:${pid}:1`)).toBe(false);
    expect(runIsAlive("some-other-host:1:1")).toBe(true);
  });
});
