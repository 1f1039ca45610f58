import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../src/docker/cli.ts";
import { type StartedTestContainer, Wait } from "../../src/docker/testcontainers.ts";
import { WorkloadContainer } from "../../src/docker/workload-container.ts";
import { image, testLabels } from "../support/labels.ts";
import { createTestNetwork } from "../support/network.ts";

// The offline Tyk image (2.9.4) as it will run in an environment: Redis and an upstream by DNS
// alias on one network, tyk.conf and an API definition mounted from outside (a ConfigMap later).
// Every container joins that network alone; only the gateway publishes a port, on 127.0.0.1.
describe("tyk image (Tyk 2.9.4) in front of an upstream, with Redis", () => {
  const network = `devstack-it-tyk-${process.pid}`;
  const config = mkdtempSync(join(tmpdir(), "devstack-tyk-conf-"));
  let removeNetwork: () => Promise<void>;
  const started: StartedTestContainer[] = [];
  let gateway: StartedTestContainer;
  const url = (path: string) => `http://127.0.0.1:${gateway.getMappedPort(8080)}${path}`;

  beforeAll(async () => {
    // Read by uid 1000 (user tyk) through bind mounts: world-readable, like a ConfigMap volume.
    chmodSync(config, 0o755);
    mkdirSync(join(config, "apps"), { mode: 0o755 });
    writeFileSync(
      join(config, "tyk.conf"),
      JSON.stringify({
        listen_port: 8080,
        secret: "secret-for-tests",
        template_path: "/opt/tyk-gateway/templates",
        app_path: "/opt/tyk-gateway/apps",
        middleware_path: "/opt/tyk-gateway/middleware",
        use_db_app_configs: false,
        storage: { type: "redis", host: "redis", port: 6379, database: 0 },
        enable_analytics: false,
        enable_jsvm: false,
        hash_keys: true,
        disable_dashboard_zeroconf: true,
        uptime_tests: { disable: true },
      }),
    );
    writeFileSync(
      join(config, "apps", "upstream.json"),
      JSON.stringify({
        name: "Upstream (keyless)",
        api_id: "upstream",
        org_id: "default",
        active: true,
        use_keyless: true,
        auth: { auth_header_name: "Authorization" },
        version_data: { not_versioned: true, versions: { Default: { name: "Default" } } },
        proxy: { listen_path: "/upstream/", target_url: "http://upstream:9000/", strip_listen_path: true },
      }),
    );

    ({ remove: removeNetwork } = await createTestNetwork(network));
    const member = (name: string, alias: string) =>
      new WorkloadContainer(image(name)).withSoleNetwork(network, [alias]).withLabels(testLabels());
    const [redis, upstream] = await Promise.all([
      member("redis", "redis")
        .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
        .start(),
      member("node", "upstream")
        .withCommand([
          "node",
          "-e",
          "require('node:http').createServer((q, s) => s.end('upstream saw ' + q.method + ' ' + q.url))" +
            ".listen(9000, () => console.log('upstream listening'))",
        ])
        .withWaitStrategy(Wait.forLogMessage(/upstream listening/))
        .start(),
    ]);
    started.push(redis, upstream);
    gateway = await member("tyk", "tyk-gateway")
      .withBindMounts([
        { source: join(config, "tyk.conf"), target: "/opt/tyk-gateway/tyk.conf", mode: "ro" },
        { source: join(config, "apps"), target: "/opt/tyk-gateway/apps", mode: "ro" },
      ])
      .withExposedPorts(8080)
      .withWaitStrategy(Wait.forHttp("/hello", 8080).forStatusCode(200))
      .withStartupTimeout(60_000)
      .start();
    started.push(gateway);
  });

  afterAll(async () => {
    await Promise.all(started.map((c) => c.stop()));
    await removeNetwork?.();
    rmSync(config, { recursive: true, force: true });
  });

  it("is Tyk 2.9.4, run by a user other than root", async () => {
    const version = await gateway.exec(["tyk", "--version"]);
    expect(version.exitCode).toBe(0);
    expect(version.output.trim()).toBe("v2.9.4");
    const id = await gateway.exec(["id", "-un"]);
    expect(id.output.trim()).toBe("tyk");
  });

  it("proxies a keyless API to its upstream, stripping the listen path", async () => {
    const response = await fetch(url("/upstream/courses?page=2"));
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("upstream saw GET /courses?page=2");
  });

  it("answers 404 for a path no API listens on", async () => {
    const response = await fetch(url("/no-such-api/courses"));
    expect(response.status).toBe(404);
  });

  it("publishes the gateway's port on 127.0.0.1 only, and nothing else's", async () => {
    const bindings = async (c: StartedTestContainer) =>
      JSON.parse(
        await docker(["inspect", "--format", "{{json .HostConfig.PortBindings}}", c.getId()]),
      ) as Record<string, { HostIp: string }[]> | null;
    const [redis, upstream] = started;
    expect(Object.values((await bindings(gateway)) ?? {}).flat()).toEqual([
      expect.objectContaining({ HostIp: "127.0.0.1" }),
    ]);
    for (const other of [redis, upstream]) if (other) expect((await bindings(other)) ?? {}).toEqual({});
  });
});
