import { describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.ts";
import { type Action, inParallel, KeptFailure, planActions, runActions } from "../../src/runtimes/actions.ts";

interface Ctx {
  log: string[];
  /** Status lines of members that run in parallel lanes. */
  lines?: string[];
}
const step = (name: string, { fail, undo = true }: { fail?: Error; undo?: boolean } = {}): Action<Ctx> => ({
  name,
  plan: () => [`do ${name}`],
  async execute(ctx) {
    ctx.log.push(`execute ${name}`);
    if (fail) throw fail;
    return `${name} done`;
  },
  ...(undo
    ? {
        async undo(ctx: Ctx) {
          ctx.log.push(`undo ${name}`);
        },
      }
    : {}),
});
const failure = async (run: Promise<unknown>) => {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, "expected the run to fail").toBeInstanceOf(UserError);
  return error as UserError;
};

describe("creation actions", () => {
  it("run in order, one status line each with its time", async () => {
    const ctx: Ctx = { log: [] };
    const lines: string[] = [];
    await runActions([step("network"), step("containers")], ctx, (l) => lines.push(l));
    expect(ctx.log).toEqual(["execute network", "execute containers"]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^network: network done \(\d+\.\ds\)$/);
    expect(lines[1]).toMatch(/^containers: containers done \(\d+\.\ds\)$/);
  });

  it("stop at the next action once interrupted, and undo what ran", async () => {
    const ctx: Ctx = { log: [] };
    let interrupted = false;
    const interrupting: Action<Ctx> = {
      ...step("containers"),
      async execute(c) {
        c.log.push("execute containers");
        interrupted = true; // Ctrl-C while it runs
        return "containers done";
      },
    };
    const error = await failure(
      runActions(
        [step("network"), interrupting, step("supervisor")],
        ctx,
        () => {},
        () => interrupted,
      ),
    );
    expect(error.message).toBe("supervisor: interrupted");
    expect(ctx.log).toEqual([
      "execute network",
      "execute containers",
      "undo supervisor",
      "undo containers",
      "undo network",
    ]);
  });

  it("undo what ran, the failed one first then backwards, and name the failed action", async () => {
    const ctx: Ctx = { log: [] };
    const error = await failure(
      runActions(
        [
          step("state"),
          step("images", { undo: false }),
          step("network"),
          step("containers", { fail: new Error("no space") }),
          step("ready"),
        ],
        ctx,
        () => {},
      ),
    );
    expect(ctx.log).toEqual([
      "execute state",
      "execute images",
      "execute network",
      "execute containers",
      "undo containers",
      "undo network",
      "undo state",
    ]);
    expect(error.message).toBe("containers: no space");
    expect(error.hint).toBe("undone: containers, network, state");
  });

  it("keep everything for inspection when the failure says so", async () => {
    const ctx: Ctx = { log: [] };
    const kept = new KeptFailure("workload 'x' did not become ready", "last log lines ...");
    const error = await failure(
      runActions([step("network"), step("readiness", { fail: kept })], ctx, () => {}),
    );
    expect(error).toBeInstanceOf(KeptFailure);
    expect(ctx.log).toEqual(["execute network", "execute readiness"]);
    expect(error.message).toBe("readiness: workload 'x' did not become ready");
    expect(error.hint).toBe("last log lines ...");
  });

  it("report an undo that fails, and still undo the rest", async () => {
    const ctx: Ctx = { log: [] };
    const stuck: Action<Ctx> = {
      ...step("network"),
      async undo() {
        throw new Error("network has active endpoints");
      },
    };
    const error = await failure(
      runActions([step("state"), stuck, step("containers", { fail: new Error("boom") })], ctx, () => {}),
    );
    expect(ctx.log).toContain("undo state");
    expect(error.hint).toBe("undone: containers, network (could not: network has active endpoints), state");
  });

  it("plan without executing anything", () => {
    const ctx: Ctx = { log: [] };
    expect(planActions([step("network"), step("containers")], ctx)).toEqual([
      { action: "network", does: ["do network"] },
      { action: "containers", does: ["do containers"] },
    ]);
    expect(ctx.log).toEqual([]);
  });
});

describe("actions in parallel lanes", () => {
  it("runs the lanes side by side, each member reporting its own line, as one action", async () => {
    // The first lane's action waits for the second lane's: run one after the other, it never ends.
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const waiting: Action<Ctx> = {
      ...step("operator"),
      execute: () => released.then(() => "operator done"),
    };
    const releasing: Action<Ctx> = {
      ...step("images"),
      async execute() {
        release();
        return "images done";
      },
    };
    const ctx: Ctx = { log: [], lines: [] };
    const outer: string[] = [];
    const both = inParallel(
      "add-ons and images",
      [[step("policies"), waiting], [releasing]],
      (c) => (l) => c.lines?.push(l),
    );
    await runActions([both], ctx, (l) => outer.push(l));
    expect((ctx.lines ?? []).map((l) => l.replace(/ \(\d+\.\ds\)$/, "")).sort()).toEqual([
      "images: images done",
      "operator: operator done",
      "policies: policies done",
    ]);
    expect(outer).toEqual([
      expect.stringMatching(/^add-ons and images: 3 action\(s\) in 2 lanes \(\d+\.\ds\)$/),
    ]);
    expect(planActions([both], ctx)).toEqual([
      {
        action: "add-ons and images",
        does: ["policies: do policies", "operator: do operator", "images: do images"],
      },
    ]);
  });

  it("on a failure lets the other lane finish, undoes every member that ran, and names the one that failed", async () => {
    const ctx: Ctx = { log: [], lines: [] };
    const both = inParallel(
      "add-ons and images",
      [[step("policies"), step("operator", { fail: new UserError("webhook not ready") })], [step("images")]],
      (c) => (l) => c.lines?.push(l),
    );
    const error = await failure(runActions([step("cluster"), both], ctx, () => {}));
    expect(error.message).toBe("add-ons and images: operator: webhook not ready");
    expect(ctx.log.filter((l) => l.startsWith("undo")).sort()).toEqual([
      "undo cluster",
      "undo images",
      "undo operator",
      "undo policies",
    ]);
    expect(ctx.log.at(-1)).toBe("undo cluster");
  });
});
