import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import {
  envLabel,
  envsDir,
  knownComponents,
  knownEnvs,
  loadEnvFile,
  withComponents,
} from "../../src/config/env-file.ts";
import { loadYamlFile } from "../../src/config/yaml-file.ts";
import { repoRoot } from "../../src/paths.ts";
import { userErrorFrom } from "../support/thrown.ts";

// How env files and YAML files are found, read and refused, in process (env-file.test.ts covers
// the schema of an env file field by field).

afterEach(() => {
  vi.unstubAllEnvs();
});

/** A folder of env files (and a kind/ with the given overlays), made the one the loader reads. */
function envsFolder(files: Record<string, string>, overlays: string[] = ["dev"]) {
  const root = mkdtempSync(join(tmpdir(), "devstack-config-"));
  mkdirSync(join(root, "envs"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, "envs", name), text);
  for (const overlay of overlays) {
    mkdirSync(join(root, "kind", "overlays", overlay), { recursive: true });
    writeFileSync(join(root, "kind", "overlays", overlay, "kustomization.yaml"), "resources: []\n");
  }
  vi.stubEnv("DEVSTACK_ENVS_DIR", join(root, "envs"));
  vi.stubEnv("DEVSTACK_KIND_DIR", join(root, "kind"));
  return root;
}

const ENV = "overlay: dev\nttl: 2h\nseed:\n  size: none\n";

describe("env files", () => {
  it("are the *.yaml files of envs/, by name, sorted", () => {
    expect(envsDir()).toBe(join(repoRoot, "envs"));
    expect(knownEnvs()).toEqual(["dev", "nightly", "pr"]);
    envsFolder({ "zeta.yaml": ENV, "alpha.yaml": ENV, "beta.yml": ENV, "notes.txt": "", yaml: "" });
    expect(knownEnvs()).toEqual(["alpha", "zeta"]);
  });

  it("load with their name and file", () => {
    const root = envsFolder({ "review.yaml": ENV });
    expect(loadEnvFile("review")).toEqual({
      overlay: "dev",
      ttl: 7_200_000,
      seed: { size: "none", seed: 42 },
      startupTimeout: 120_000,
      cluster: {},
      with: [],
      name: "review",
      file: join(root, "envs", "review.yaml"),
    });
  });

  it("an unknown name is refused, listing the known ones", () => {
    envsFolder({ "b.yaml": ENV, "a.yaml": ENV });
    const error = userErrorFrom(() => loadEnvFile("staging"));
    expect(error.message).toBe("--env: unknown environment 'staging'");
    expect(error.hint).toBe("known environments: a, b (files in envs/)");
  });

  it("an overlay without a kustomization in kind/overlays is refused, naming the file and field", () => {
    const root = envsFolder({ "x.yaml": ENV.replace("overlay: dev", "overlay: prod") }, ["dev"]);
    expect(userErrorFrom(() => loadEnvFile("x")).message).toBe(
      "envs/x.yaml: overlay: no kind/overlays/prod/kustomization.yaml",
    );
    // A folder is not enough: it must hold a kustomization.
    mkdirSync(join(root, "kind", "overlays", "prod"));
    expect(userErrorFrom(() => loadEnvFile("x")).message).toBe(
      "envs/x.yaml: overlay: no kind/overlays/prod/kustomization.yaml",
    );
    envsFolder({ "x.yaml": ENV.replace("overlay: dev", "overlay: prod") }, ["dev", "prod"]);
    expect(loadEnvFile("x").overlay).toBe("prod");
  });
});

describe("components an env switches on", () => {
  /** An env folder whose kind/ has the given components (folders with a kustomization). */
  const withFolder = (text: string, components: string[]) => {
    const root = envsFolder({ "x.yaml": text });
    for (const c of components) {
      mkdirSync(join(root, "kind", "components", c), { recursive: true });
      writeFileSync(join(root, "kind", "components", c, "kustomization.yaml"), "kind: Component\n");
    }
    // A folder without a kustomization is not a component.
    mkdirSync(join(root, "kind", "components", "notes"), { recursive: true });
    return root;
  };

  it("are the env file's `with:` and --with together, each once, in order", () => {
    withFolder(`${ENV}with: [monitoring]\n`, ["monitoring", "tracing"]);
    expect(knownComponents()).toEqual(["monitoring", "tracing"]);
    expect(loadEnvFile("x").with).toEqual(["monitoring"]);
    expect(withComponents(loadEnvFile("x"), "tracing, monitoring").with).toEqual(["monitoring", "tracing"]);
    expect(withComponents(loadEnvFile("x"), undefined).with).toEqual(["monitoring"]);
    expect(envLabel(withComponents(loadEnvFile("x"), "tracing"))).toBe("env x with monitoring, tracing");
    envsFolder({ "x.yaml": ENV });
    expect(loadEnvFile("x").with).toEqual([]);
    expect(envLabel(loadEnvFile("x"))).toBe("env x");
  });

  it("must be folders of kind/components, named by file and field or by the flag", () => {
    withFolder(`${ENV}with: [monitoring, notes]\n`, ["monitoring"]);
    expect(userErrorFrom(() => loadEnvFile("x")).message).toBe(
      "envs/x.yaml: with[1]: unknown component 'notes'; known components: monitoring (folders in kind/components)",
    );
    withFolder(ENV, ["monitoring"]);
    expect(userErrorFrom(() => withComponents(loadEnvFile("x"), "monitoring,grafana")).message).toBe(
      "--with: unknown component 'grafana'; known components: monitoring (folders in kind/components)",
    );
    withFolder(`${ENV}with: monitoring\n`, ["monitoring"]);
    expect(userErrorFrom(() => loadEnvFile("x")).message).toMatch(
      /with: a list of component names \(folders in kind\/components\)$/,
    );
  });
});

describe("env file fields", () => {
  const problemOf = (text: string) => {
    envsFolder({ "x.yaml": text });
    return userErrorFrom(() => loadEnvFile("x"))
      .message.split("\n")
      .slice(1)
      .map((l) => l.replace(/^ +\S+:\d+: /, ""));
  };

  it("take a duration and an overlay name whole, not a prefix of them", () => {
    expect(problemOf(ENV.replace("ttl: 2h", "ttl: 2hours"))).toEqual([
      "ttl: a duration such as 90s, 30m, 24h or 2d (a positive whole number and s, m, h or d)",
    ]);
    expect(problemOf(ENV.replace("overlay: dev", "overlay: dev/../prod"))).toEqual([
      "overlay: the name of a folder in kind/overlays",
    ]);
  });

  it("name a runtime the env runs on, if any, among those there are", () => {
    envsFolder({ "x.yaml": `${ENV}runtime: docker\n` });
    expect(loadEnvFile("x").runtime).toBe("docker");
    // More runtimes may join docker; podman is not one of them.
    expect(problemOf(`${ENV}runtime: podman\n`)).toEqual([
      expect.stringMatching(/^runtime: one of: docker(, [a-z]+)*$/),
    ]);
  });

  it("name the cluster runtime's context and registry, each a string", () => {
    envsFolder({ "x.yaml": `${ENV}cluster:\n  context: staging\n  registry: r.example.com:5000\n` });
    expect(loadEnvFile("x").cluster).toEqual({ context: "staging", registry: "r.example.com:5000" });
    expect(problemOf(`${ENV}cluster:\n  context: 7\n`)).toEqual([
      expect.stringMatching(/^cluster\.context: a kubeconfig context's name/),
    ]);
    expect(problemOf(`${ENV}cluster:\n  contxt: staging\n`)).toEqual([expect.stringMatching(/contxt/)]);
  });
});

describe("YAML files checked against a schema", () => {
  const tmp = mkdtempSync(join(tmpdir(), "devstack-yaml-"));
  const file = (name: string, text: string) => {
    const path = join(tmp, name);
    writeFileSync(path, text);
    return path;
  };
  const schema = z.strictObject({
    name: z.string(),
    size: z.strictObject({ count: z.number(), unit: z.string() }),
  });

  it("returns the parsed value when it conforms", () => {
    expect(loadYamlFile(file("ok.yaml", "name: a\nsize:\n  count: 3\n  unit: GiB\n"), schema)).toEqual({
      name: "a",
      size: { count: 3, unit: "GiB" },
    });
  });

  it("says it cannot read a missing file, naming it", () => {
    const missing = join(tmp, "missing.yaml");
    expect(userErrorFrom(() => loadYamlFile(missing, schema)).message).toBe(
      `${missing}: cannot read: ENOENT: no such file or directory, open '${missing}'`,
    );
  });

  it("refuses invalid YAML with file:line of each error", () => {
    const path = file("broken.yaml", "name: a\nname: b\nsize: 1\nsize: 2\n");
    expect(userErrorFrom(() => loadYamlFile(path, schema)).message).toBe(
      `invalid YAML\n  ${path}:2: Map keys must be unique\n  ${path}:4: Map keys must be unique`,
    );
  });

  it("reports a missing field at its parent's line, a wrong one at its own, an unknown key at the key", () => {
    const path = file("bad.yaml", "name: a\n\nsize:\n  unit: 7\n  colour: red\n");
    const { message } = userErrorFrom(() => loadYamlFile(path, schema));
    // The map that is `size` begins on line 4.
    expect(message.split("\n")).toEqual([
      `invalid ${path}`,
      `  ${path}:4: size.count: Invalid input: expected number, received undefined`,
      `  ${path}:4: size.unit: Invalid input: expected string, received number`,
      `  ${path}:5: size.colour: Unrecognized key: "colour"`,
    ]);
  });

  it("reports a document that is not an object at the top level, line 1", () => {
    const path = file("list.yaml", "# a list\n- a\n- b\n");
    expect(userErrorFrom(() => loadYamlFile(path, schema)).message.split("\n")[1]).toBe(
      `  ${path}:2: (top level): Invalid input: expected object, received array`,
    );
    const empty = file("empty.yaml", "");
    expect(userErrorFrom(() => loadYamlFile(empty, schema)).message.split("\n")[1]).toBe(
      `  ${empty}:1: (top level): Invalid input: expected object, received null`,
    );
  });

  it("names a file inside the working directory by its relative path", () => {
    const inRepo = join(repoRoot, "envs", "dev.yaml");
    const { message } = userErrorFrom(() => loadYamlFile(inRepo, z.strictObject({ overlay: z.number() })));
    expect(message.split("\n").slice(0, 3)).toEqual([
      "invalid envs/dev.yaml",
      "  envs/dev.yaml:2: overlay: Invalid input: expected number, received string",
      '  envs/dev.yaml:3: ttl: Unrecognized keys: "ttl", "seed"',
    ]);
  });
});
