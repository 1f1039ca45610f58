import { PostgreSqlContainer, type StartedPostgreSqlContainer } from "@testcontainers/postgresql";
import { RedisContainer, type StartedRedisContainer } from "@testcontainers/redis";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../src/db/migrate.ts";
import { peakMemory, resetPeakMemory } from "../../src/docker/cgroup.ts";
import { docker } from "../../src/docker/cli.ts";
import { GenericContainer, type StartedTestContainer, Wait } from "../../src/docker/testcontainers.ts";
import { labelArgs } from "../../src/labels.ts";
import { image, testLabels } from "../support/labels.ts";
import { createTestNetwork } from "../support/network.ts";

/** user-service's memory limit in kind/base/user-service.yaml (256Mi). */
const USER_SERVICE_MEMORY = 256 * 1024 ** 2;

// The four service images, wired as in the environment: Postgres and Redis by DNS alias on one
// network, session-service calling user-service by name. Everything is reached through loopback.
describe("service images on one Docker network", () => {
  const network = `devstack-it-services-${process.pid}`;
  let removeNetwork: () => Promise<void>;
  let postgres: StartedPostgreSqlContainer;
  let redis: StartedRedisContainer;
  const services = new Map<string, StartedTestContainer>();
  const url = (service: string, path: string) => {
    const c = services.get(service);
    if (!c) throw new Error(`${service} not started`);
    return `http://127.0.0.1:${c.getMappedPort(8080)}${path}`;
  };
  const json = async (
    method: string,
    target: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const response = await fetch(target, {
      method,
      headers: { ...(body ? { "content-type": "application/json" } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field below
    const parsed: any = response.status === 204 ? undefined : await response.json();
    return { status: response.status, body: parsed };
  };

  beforeAll(async () => {
    ({ remove: removeNetwork } = await createTestNetwork(network));
    [postgres, redis] = await Promise.all([
      new PostgreSqlContainer(image("postgres"))
        .withNetworkMode(network)
        .withNetworkAliases("postgres")
        .withDatabase("azora")
        .withUsername("azora")
        .withPassword("pw")
        .withLabels(testLabels())
        .start(),
      new RedisContainer(image("redis"))
        .withNetworkMode(network)
        .withNetworkAliases("redis")
        .withLabels(testLabels())
        .start(),
    ]);
    await migrate(postgres.getConnectionUri());
    const database = { DATABASE_URL: "postgresql://azora:pw@postgres:5432/azora" };
    const env: Record<string, Record<string, string>> = {
      "user-service": database,
      "course-service": database,
      "enrollment-service": database,
      "session-service": {
        REDIS_URL: "redis://redis:6379",
        USER_SERVICE_URL: "http://user-service:8080",
        JWT_SECRET: "s".repeat(40),
      },
    };
    await Promise.all(
      Object.entries(env).map(async ([name, environment]) => {
        const started = await new GenericContainer(image(name))
          .withNetworkMode(network)
          .withNetworkAliases(name)
          .withEnvironment(environment)
          // user-service with its limits from kind/base/user-service.yaml (the burst test below).
          .withResourcesQuota(
            name === "user-service" ? { memory: USER_SERVICE_MEMORY / 1024 ** 3, cpu: 1 } : {},
          )
          .withExposedPorts(8080)
          .withLabels(testLabels())
          .withWaitStrategy(Wait.forHttp("/readyz", 8080).forStatusCode(200))
          .withStartupTimeout(60_000)
          .start();
        services.set(name, started);
      }),
    );
  });

  afterAll(async () => {
    await Promise.all([...services.values()].map((s) => s.stop()));
    await Promise.all([postgres?.stop(), redis?.stop()]);
    await removeNetwork?.();
  });

  it("serve the platform end to end: sign up, log in, create, search and enroll", async () => {
    const user = await json("POST", url("user-service", "/users"), {
      email: "ines@example.org",
      password: "pa55word!",
      displayName: "Ines",
    });
    expect(user.status).toBe(201);
    const session = await json("POST", url("session-service", "/sessions"), {
      email: "ines@example.org",
      password: "pa55word!",
    });
    expect(session.status).toBe(201);
    const auth = { authorization: `Bearer ${session.body.token}` };
    expect(
      (await json("GET", url("session-service", "/sessions/current"), undefined, auth)).body.userId,
    ).toBe(user.body.id);

    const course = await json("POST", url("course-service", "/courses"), {
      title: "Chaos engineering",
      description: "fault injection, steady state and failover drills",
    });
    expect(course.status).toBe(201);
    const search = await json("GET", url("course-service", "/courses/search?q=failover%20drills"));
    expect(search.body.items[0].course.id).toBe(course.body.id);

    const enrollment = { userId: user.body.id, courseId: course.body.id };
    expect((await json("POST", url("enrollment-service", "/enrollments"), enrollment)).status).toBe(201);
    expect((await json("POST", url("enrollment-service", "/enrollments"), enrollment)).status).toBe(200);
  });

  it("log one JSON object per line, tagged with the service", async () => {
    const logs = await docker(["logs", services.get("course-service")?.getId() ?? ""], { all: true });
    const lines = logs.split("\n").filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ service: "course-service" });
  });

  it("finish in-flight requests on SIGTERM and exit 0", async () => {
    const target = services.get("enrollment-service");
    if (!target) throw new Error("enrollment-service not started");
    // Hold a lock so that the requests are truly in flight (waiting on Postgres) when SIGTERM lands.
    const pg = await import("pg");
    const locker = new pg.default.Client({ connectionString: postgres.getConnectionUri() });
    await locker.connect();
    await locker.query("BEGIN; LOCK TABLE enrollments IN ACCESS EXCLUSIVE MODE");
    const listUrl = url("enrollment-service", "/enrollments?userId=00000000-0000-4000-8000-000000000000");
    const inFlight = Array.from({ length: 5 }, () =>
      fetch(listUrl).then(
        (r) => r.status,
        (e: Error) => e.message,
      ),
    );
    await new Promise((r) => setTimeout(r, 500));
    await docker(["kill", "--signal", "SIGTERM", target.getId()]);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await docker(["inspect", "--format", "{{.State.Status}}", target.getId()])).toBe("running"); // still draining
    await locker.query("COMMIT");
    await locker.end();
    expect(await Promise.all(inFlight)).toEqual([200, 200, 200, 200, 200]);
    await expect
      .poll(
        async () => docker(["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", target.getId()]),
        { timeout: 15_000 },
      )
      .toBe("exited 0");
    const logs = await docker(["logs", target.getId()], { all: true });
    expect(logs).toMatch(/shutting down: draining in-flight requests/);
    expect(logs).toMatch(/"msg":"stopped"/);
  });

  it("refuse to start with a missing variable, naming it, without a stack trace", async () => {
    const labels = labelArgs(testLabels());
    const result = await execa("docker", ["run", "--rm", ...labels, image("user-service")], {
      reject: false,
      all: true,
    });
    expect(result.exitCode).toBe(78);
    expect(JSON.parse(String(result.all).trim())).toMatchObject({
      msg: "invalid configuration",
      problems: [expect.stringMatching(/^DATABASE_URL: /)],
    });
  });

  it("hold a burst of sign-ups and logins within user-service's memory limit, shedding the excess with 503 and Retry-After", async () => {
    const id = services.get("user-service")?.getId() ?? "";
    resetPeakMemory(id);
    const statuses: Record<string, number> = {};
    const shedWithoutRetryAfter: string[] = [];
    const call = async (path: string, body: unknown) => {
      const response = await fetch(url("user-service", path), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(20_000),
      });
      const answer = (await response.json()) as { error?: { code: string } };
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      if (
        response.status === 503 &&
        (answer.error?.code !== "overloaded" || response.headers.get("retry-after") !== "1")
      )
        shedWithoutRetryAfter.push(JSON.stringify(answer));
    };
    // Three waves of 50 sign-ups and 50 logins at once: each far more than the hashing queue takes.
    for (let wave = 0; wave < 3; wave++)
      await Promise.all(
        Array.from({ length: 50 }, (_, i) => [
          call("/users", {
            email: `burst-${wave}-${i}@example.org`,
            password: "burst-password",
            displayName: "Burst",
          }),
          call("/internal/credentials/verify", { email: "ines@example.org", password: "pa55word!" }),
        ]).flat(),
      );
    const peak = peakMemory(id);
    console.log(
      `user-service burst: ${JSON.stringify(statuses)}, peak memory ${(peak / 1024 ** 2).toFixed(0)} MiB of 256`,
    );
    // Successes and sheds, each seen, and nothing else: no other 5xx, and every shed says when to come back.
    expect(Object.keys(statuses).sort()).toEqual(["200", "201", "503"]);
    expect(shedWithoutRetryAfter).toEqual([]);
    expect(peak).toBeLessThan(0.75 * USER_SERVICE_MEMORY);
    expect(await docker(["inspect", "--format", "{{.State.OOMKilled}} {{.RestartCount}}", id])).toBe(
      "false 0",
    );
  });
});
