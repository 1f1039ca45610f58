import { describe, expect, it } from "vitest";
import { runScript } from "../support/cli.ts";

// Runs scripts/netpol-matrix.ts as `pnpm netpol:matrix` would, on the fixtures.
const cluster = ["-f", "tests/fixtures/netpol/cluster.yaml", "-f", "tests/fixtures/netpol/policies.yaml"];

type Json = {
  pods: string[];
  entries: { from: string; to: string; protocol: string; port: number; allowed: boolean }[];
};

describe("pnpm netpol:matrix", () => {
  it("--json: every pod, and every ordered pair for every declared port of the destination", async () => {
    const result = await runScript("netpol-matrix", [...cluster, "--json"]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(
      /^note: tests\/fixtures\/netpol\/cluster\.yaml:\d+: ignoring Service shop\/web/,
    );
    const json = JSON.parse(result.stdout) as Json;
    expect(Object.keys(json)).toEqual(["pods", "entries"]);
    expect(json.pods).toEqual(["ops/monitor", "shop/db", "shop/web"]);
    // 3 sources × (monitor: 9090, db: 5432, web: 8080 + 9090)
    expect(json.entries).toHaveLength(12);
    for (const e of json.entries)
      expect(Object.keys(e)).toEqual(["from", "to", "protocol", "port", "allowed"]);
    expect(json.entries[0]).toEqual({
      from: "ops/monitor",
      to: "ops/monitor",
      protocol: "TCP",
      port: 9090,
      allowed: true,
    });
    const allowed = (from: string, to: string, port: number) =>
      json.entries.find((e) => e.from === from && e.to === to && e.port === port)?.allowed;
    expect(allowed("shop/web", "shop/db", 5432)).toBe(true);
    expect(allowed("ops/monitor", "shop/db", 5432)).toBe(false);
    expect(allowed("ops/monitor", "shop/web", 9090)).toBe(true); // metrics: from team=ops only
    expect(allowed("shop/db", "shop/web", 9090)).toBe(false);
    expect(allowed("shop/db", "shop/web", 8080)).toBe(true); // http: from anywhere
    expect(allowed("shop/db", "shop/db", 5432)).toBe(false);
  });

  it("--port and --protocol ask that port of every destination; the table marks allowed and denied", async () => {
    const json = await runScript("netpol-matrix", [
      ...cluster,
      "--port",
      "5432",
      "--protocol",
      "tcp",
      "--json",
    ]);
    expect(json.exitCode).toBe(0);
    const entries = (JSON.parse(json.stdout) as Json).entries;
    expect(entries).toHaveLength(9);
    expect(entries.every((e) => e.port === 5432 && e.protocol === "TCP")).toBe(true);

    const text = await runScript("netpol-matrix", [...cluster, "--port", "5432"]);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toContain('5432/TCP: "." allowed, "X" denied');
    expect(text.stdout).toMatch(/^shop\/web\s+\.\s+\.\s+X$/m);
    expect(text.stdout).toMatch(/^ops\/monitor\s+\.\s+X\s+X$/m);
  });

  it("without --port, the table lists the allowed ports per destination", async () => {
    const result = await runScript("netpol-matrix", cluster);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^\s+ops\/monitor\s+shop\/db\s+shop\/web$/m);
    expect(result.stdout).toMatch(/^ops\/monitor\s+9090\/TCP\s+-\s+8080\/TCP,9090\/TCP$/m);
    expect(result.stdout).toMatch(/^shop\/web\s+9090\/TCP\s+5432\/TCP\s+8080\/TCP$/m);
  });

  it("an invalid policy: exit 1, naming file, line, policy and field, without a stack trace", async () => {
    const result = await runScript("netpol-matrix", ["-f", "tests/fixtures/netpol/invalid-policy.yaml"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^error: invalid network policy input \(9 problems\)/);
    expect(result.stderr).toContain(
      "tests/fixtures/netpol/invalid-policy.yaml:17: NetworkPolicy shop/broken: spec.ingress[0].from[0].ipBlock.cidr: '10.0.0.0/33' is not a CIDR",
    );
    expect(result.stderr).toContain(
      "invalid-policy.yaml:29: NetworkPolicy shop/broken: spec.ingress[0].ports[2].endPort: 80 must be greater than or equal to `port` (90)",
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe("");
  });

  it("rejects unknown flags (listing the valid ones), bad values and a missing file", async () => {
    const flag = await runScript("netpol-matrix", ["--ports", "80"]);
    expect(flag.exitCode).toBe(1);
    expect(flag.stderr).toMatch(/netpol:matrix: Unknown option '--ports'/);
    expect(flag.stderr).toMatch(/valid flags: --file VALUE, --protocol VALUE, --port VALUE, --json, --help/);

    const values = await Promise.all([
      runScript("netpol-matrix", [...cluster, "--protocol", "ICMP"]),
      runScript("netpol-matrix", [...cluster, "--port", "http"]),
      runScript("netpol-matrix", []),
    ]);
    expect(values.map((r) => r.exitCode)).toEqual([1, 1, 1]);
    expect(values[0]?.stderr).toMatch(/--protocol: 'ICMP' is not valid; expected one of: TCP, UDP, SCTP/);
    expect(values[1]?.stderr).toMatch(/--port: 'http' is not valid; expected a port number from 1 to 65535/);
    expect(values[2]?.stderr).toMatch(/netpol:matrix: no input file\nusage: pnpm netpol:matrix -f FILE/);
  });
});
