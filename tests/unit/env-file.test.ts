import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { envFileSchema, loadEnvFile } from "../../src/config/env-file.ts";
import { loadYamlFile } from "../../src/config/yaml-file.ts";
import { runScript } from "../support/cli.ts";
import { userErrorFrom } from "../support/thrown.ts";

const dir = mkdtempSync(join(tmpdir(), "devstack-env-"));
let files = 0;
/** Loads an env file made of `fields` (YAML lines) through the real loader. */
const load = (...fields: string[]) => {
  const file = join(dir, `env-${++files}.yaml`);
  writeFileSync(file, `${fields.join("\n")}\n`);
  return loadYamlFile(file, envFileSchema);
};
const valid = { overlay: "overlay: dev", ttl: "ttl: 24h", seed: "seed:\n  size: small" };
const withField = (field: keyof typeof valid, line: string) => Object.values({ ...valid, [field]: line });
/** The one problem a bad env file reports, without the file name and line. */
const problem = (...fields: string[]) => {
  const lines = userErrorFrom(() => load(...fields))
    .message.split("\n")
    .slice(1);
  expect(lines).toHaveLength(1);
  return lines[0]?.replace(/^\s*\S+\.yaml:\d+: /, "");
};

describe("env files", () => {
  it("load dev, pr and nightly", () => {
    expect(loadEnvFile("dev")).toMatchObject({
      overlay: "dev",
      ttl: 24 * 3_600_000,
      seed: { size: "small", seed: 42 },
      startupTimeout: 120_000,
    });
    expect(loadEnvFile("pr")).toMatchObject({ overlay: "pr", ttl: 6 * 3_600_000, seed: { size: "small" } });
    expect(loadEnvFile("nightly")).toMatchObject({
      overlay: "nightly",
      seed: { size: "large" },
      startupTimeout: 300_000,
      kindWorkers: 2,
    });
  });

  it.each([
    ["1s", 1_000],
    ["90s", 90_000],
    ["1m", 60_000],
    ["30m", 1_800_000],
    ["1h", 3_600_000],
    ["24h", 86_400_000],
    ["1d", 86_400_000],
    ["2d", 172_800_000],
  ])("reads the duration %s as %i ms (ttl and startupTimeout)", (text, ms) => {
    expect(load(...withField("ttl", `ttl: ${text}`)).ttl).toBe(ms);
    expect(load(...Object.values(valid), `startupTimeout: ${text}`).startupTimeout).toBe(ms);
  });

  it.each(["0s", "0d", "1w", "1.5h", "h", "-1h", "1 h", "1H", "24", "3600"])(
    "rejects the duration %s, naming the field",
    (text) => {
      const expected = "a duration such as 90s, 30m, 24h or 2d (a positive whole number and s, m, h or d)";
      expect(problem(...withField("ttl", `ttl: ${text}`))).toBe(`ttl: ${expected}`);
      expect(problem(...Object.values(valid), `startupTimeout: ${text}`)).toBe(`startupTimeout: ${expected}`);
    },
  );

  it.each([0, 1, 42, 2 ** 31 - 1])("accepts the seed %i", (seed) => {
    expect(load(...withField("seed", `seed:\n  size: small\n  seed: ${seed}`)).seed.seed).toBe(seed);
  });

  it.each(["-1", "2147483648", "1.5", '"42"', "null"])("rejects the seed %s", (seed) => {
    expect(problem(...withField("seed", `seed:\n  size: small\n  seed: ${seed}`))).toBe(
      "seed.seed: an integer from 0 to 2147483647",
    );
  });

  it.each([1, 2, 5])("accepts kindWorkers: %i", (n) => {
    expect(load(...Object.values(valid), `kindWorkers: ${n}`).kindWorkers).toBe(n);
  });

  it.each(["0", "6", "1.5", '"2"', "-1"])("rejects kindWorkers: %s", (n) => {
    expect(problem(...Object.values(valid), `kindWorkers: ${n}`)).toBe(
      "kindWorkers: a whole number of worker nodes from 1 to 5",
    );
  });

  it("accepts every seed size and nothing else", () => {
    for (const size of ["none", "small", "medium", "large"])
      expect(load(...withField("seed", `seed:\n  size: ${size}`)).seed).toEqual({ size, seed: 42 });
    expect(problem(...withField("seed", "seed:\n  size: huge"))).toMatch(
      /^seed\.size: Invalid option: expected one of "none"\|"small"\|"medium"\|"large"/,
    );
    expect(problem(...withField("seed", "seed: {}"))).toMatch(/^seed\.size: Invalid option/);
  });

  it("requires overlay, ttl and seed, and rejects unknown fields", () => {
    expect(problem(valid.ttl, valid.seed)).toMatch(/^overlay: /);
    expect(problem(valid.overlay, valid.seed)).toMatch(/^ttl: a duration/);
    expect(problem(valid.overlay, valid.ttl)).toMatch(/^seed: /);
    expect(problem(...Object.values(valid), "replicas: 3")).toBe('replicas: Unrecognized key: "replicas"');
    expect(problem(...withField("seed", "seed:\n  size: small\n  count: 3"))).toBe(
      'seed.count: Unrecognized key: "count"',
    );
    expect(problem(...withField("overlay", "overlay: Dev"))).toBe(
      "overlay: the name of a folder in kind/overlays",
    );
  });

  it("names file, line and field of every problem at once", () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "overlay: dev\nttl: forever\nseed:\n  size: huge\nreplicas: 3\n");
    const { message } = userErrorFrom(() => loadYamlFile(file, envFileSchema));
    expect(message).toMatch(/bad\.yaml:2: ttl: a duration such as/);
    expect(message).toMatch(/bad\.yaml:4: seed\.size: Invalid option/);
    expect(message).toMatch(/bad\.yaml:5: replicas: Unrecognized key/);
  });

  it("an unknown env name lists the known ones", async () => {
    const result = await runScript("manifests-plan", ["--env", "staging"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      /--env: unknown environment 'staging'\nknown environments: dev, nightly, pr/,
    );
  });
});
