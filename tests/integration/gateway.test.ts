import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runContractSuite } from "../../src/contract/suite.ts";
import { docker } from "../../src/docker/cli.ts";
import { readEnvState } from "../../src/env/state.ts";
import { repoRoot } from "../../src/paths.ts";
import { runScript } from "../support/cli.ts";

// The gateway in front of a running environment: the contract suite through it (every route, the
// token rules, limits, the internal route, a backend that stops answering), and a changed API
// definition reloaded in place. It runs on a copy of kind/ so the test can change the copy.
const dir = mkdtempSync(join(tmpdir(), "devstack-gateway-"));
cpSync(join(repoRoot, "kind"), join(dir, "kind"), { recursive: true });
const env = {
  DEVSTACK_STATE_DIR: join(dir, "state"),
  DEVSTACK_KIND_DIR: join(dir, "kind"),
};
const name = `gw-${process.pid}`;
const gatewayContainer = `azora-${name}-tyk-gateway-1`;
const startedAt = () => docker(["inspect", "--format", "{{.State.StartedAt}}", gatewayContainer]);

afterAll(async () => {
  await runScript("dev-down", ["--name", name], { env });
  rmSync(dir, { recursive: true, force: true });
});

describe("the Tyk gateway in front of the environment", () => {
  let gateway = "";

  it("comes up as the environment's entry point, printed first", async () => {
    const up = await runScript("dev-up", ["--env", "pr", "--name", name], { env });
    expect(up.exitCode, up.all).toBe(0);
    gateway =
      /is up in [\d.]+s\n {2}gateway {3}(http:\/\/127\.0\.0\.1:\d+) \(LoadBalancer tyk-gateway\)/.exec(
        up.stdout,
      )?.[1] ?? "";
    expect(gateway).not.toBe("");
    const hello = await fetch(`${gateway}/hello`);
    expect(await hello.text()).toMatch(/Hello Tiki/);
    const status = await runScript("dev-status", ["--name", name], { env });
    expect(status.stdout).toContain(`gateway ${gateway} (LoadBalancer tyk-gateway)`);
  });

  it("passes the contract suite and the gateway's own checks through it", async () => {
    const result = await runScript("test-contract", ["--name", name], { env });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toMatch(/through the gateway http:\/\/127\.0\.0\.1:\d+ \(not routed there/);
    expect(result.stdout).toMatch(
      /calls over 4 services: every operation exercised, every response conforms/,
    );
    for (const line of [
      /✔ no token\s+GET\s+\/api\/users\?limit=1 -> 400/,
      /✔ a token signed with another key\s+GET\s+\/api\/users\?limit=1 -> 403/,
      /✔ the session's claims under the given secret\s+GET\s+\/api\/users\?limit=1 -> 200/,
      /✔ an expired token\s+GET\s+\/api\/users\?limit=1 -> 401/,
      /✔ the internal credential check is not routed\s+POST\s+\/api\/internal\/credentials\/verify -> 404/,
      /✔ a body over the size limit\s+POST\s+\/api\/courses -> 400/,
      /✔ a backend that does not answer\s+GET\s+\/api\/enrollments\?userId=\S+ -> 50[0234]/,
      /✔ the backend answering again\s+GET\s+\/api\/enrollments\?userId=\S+ -> 200/,
      /✔ the per-user rate limit\s+GET\s+\/api\/courses\?limit=1 -> 429/,
      /✔ a logged-out token\s+GET\s+\/api\/users\/\S+ -> 401/,
    ])
      expect(result.stdout).toMatch(line);
    expect(result.stdout).not.toMatch(/skipped/);
    // --direct keeps the old mode: each service on its own port, health and internal routes too.
    const direct = await runScript("test-contract", ["--name", name, "--direct"], { env });
    expect(direct.exitCode, direct.all).toBe(0);
    expect(direct.stdout).toMatch(/40 calls over 4 services: every operation exercised/);
  });

  it("carries a short load run (pnpm test:load) with the suite's thresholds, and reports it", async () => {
    const result = await runScript(
      "test-load",
      ["--name", name, "--scenario", "browse", "--rate", "5", "--duration", "6s"],
      { env },
    );
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toMatch(
      /load: browse against '\S+' via gateway, DevStack's open-model runner \(k6 is not on PATH\)/,
    );
    expect(result.stdout).toMatch(
      /browse via gateway \(devstack runner\): 81 requests in \d+ s, .*: thresholds passed/,
    );
    const report = /report: (\S+)/.exec(result.stdout)?.[1] ?? "";
    try {
      const summary = JSON.parse(readFileSync(join(report, "summary.json"), "utf8"));
      // 20 seed logins and the catalogue, then 30 iterations of two requests each, all answered.
      expect(summary.statuses).toEqual({ "200": 61, "201": 20 });
      expect(summary.metrics.iterations.values.count).toBe(30);
      expect(summary.metrics.http_req_duration.thresholds).toEqual({
        "p(95)<200": { ok: true },
        "p(99)<400": { ok: true },
      });
    } finally {
      rmSync(report, { recursive: true, force: true });
    }
  });

  it("fails, naming the operation, when a service answers outside its document", async () => {
    process.env.DEVSTACK_STATE_DIR = env.DEVSTACK_STATE_DIR;
    const state = readEnvState(name);
    delete process.env.DEVSTACK_STATE_DIR;
    const urls = state?.endpoints ?? {};
    // The course-service's calls sent to the user-service: nothing there is in the course document.
    const report = await runContractSuite({
      "user-service": urls["user-service"] ?? "",
      "session-service": urls["session-service"] ?? "",
      "course-service": urls["user-service"] ?? "",
      "enrollment-service": urls["enrollment-service"] ?? "",
    });
    const problems = report.calls.flatMap((c) => c.problems);
    expect(problems).toContain("POST /courses does not document status 404");
    expect(
      report.uncovered.map((u) => `${u.service} ${u.operation.method} ${u.operation.template}`),
    ).toContain("course-service POST /courses");
    const notUp = await runScript("test-contract", ["--name", "no-such-env"], { env });
    expect(notUp.exitCode).toBe(1);
    expect(notUp.stderr).toMatch(/environment 'no-such-env' is not up/);
  });

  it("reloads a changed API definition in place on the next dev:up, without a restart", async () => {
    const before = await startedAt();
    // The courses API sent to the enrollment service instead: its answer says which one answered.
    const file = join(dir, "kind", "base", "gateway", "apis", "courses.json");
    const definition = JSON.parse(readFileSync(file, "utf8"));
    definition.proxy.target_url = "http://enrollment-service:8080/enrollments";
    writeFileSync(file, JSON.stringify(definition, null, 2));
    const up = await runScript("dev-up", ["--env", "pr", "--name", name], { env });
    expect(up.exitCode, up.all).toBe(0);
    expect(up.stdout).toMatch(
      /tyk-gateway: configuration changed, reloaded without a restart \(GET \/tyk\/reload\/group\)/,
    );
    expect(up.stdout).toMatch(/already up and healthy/);
    expect(await startedAt()).toBe(before);
    // Without a token the gateway answers before any backend; with one, the enrollment service
    // answers a courses URL: 400, it wants a userId or courseId.
    const login = await fetch(`${gateway}/api/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "user1@seed.azora.dev", password: "azora-seed-password" }),
    });
    const { token } = (await login.json()) as { token: string };
    const moved = await fetch(`${gateway}/api/courses`, { headers: { authorization: `Bearer ${token}` } });
    expect(moved.status).toBe(400);
    expect(await moved.text()).toMatch(/userId|courseId/);
  });

  it("refuses a misspelt field in an API definition before anything starts", async () => {
    const file = join(dir, "kind", "base", "gateway", "apis", "users.json");
    const definition = JSON.parse(readFileSync(file, "utf8"));
    definition.proxy.strip_listen_paths = definition.proxy.strip_listen_path;
    writeFileSync(file, JSON.stringify(definition, null, 2));
    const up = await runScript("dev-up", ["--env", "pr", "--name", `${name}-bad`], { env });
    expect(up.exitCode).toBe(1);
    expect(up.stderr).toMatch(/users\.json:\d+: proxy\.strip_listen_paths/);
    expect(up.stdout).not.toMatch(/containers:/);
  });
});
