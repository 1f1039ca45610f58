import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { UserError } from "../errors.ts";
import { envsDir, kindDir } from "../paths.ts";
import { RUNTIME_NAMES } from "../runtimes/runtime.ts";

export { envsDir };

import { loadYamlFile } from "./yaml-file.ts";

const DURATION_UNITS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

const DURATION = "a duration such as 90s, 30m, 24h or 2d (a positive whole number and s, m, h or d)";
/** A positive whole number of seconds, minutes, hours or days, in milliseconds. */
const duration = z
  .string(DURATION)
  .regex(/^[1-9]\d*[smhd]$/, DURATION)
  .transform(
    (text) => Number(text.slice(0, -1)) * DURATION_UNITS[text.slice(-1) as keyof typeof DURATION_UNITS],
  );

/** A duration flag (`--ttl 4h`) in milliseconds, by the env files' rules; an error names the flag. */
export function durationFlag(flag: string, text: string | undefined): number {
  const parsed = duration.safeParse(text);
  if (!parsed.success) throw new UserError(`--${flag}: '${text}' is not valid; expected ${DURATION}`);
  return parsed.data;
}

const SEED_MAX = 2 ** 31 - 1;
const SEED = `an integer from 0 to ${SEED_MAX}`;

const COMPONENT = "the name of a folder in kind/components";
const COMPONENTS = `a list of component names (folders in kind/components)`;

export const MAX_WORKERS = 5;
const WORKERS = `a whole number of worker nodes from 1 to ${MAX_WORKERS}`;

/** An env file chooses an overlay and sizes, nothing more: the stack itself lives in kind/. */
export const envFileSchema = z.strictObject({
  overlay: z.string().regex(/^[a-z][a-z0-9-]*$/, "the name of a folder in kind/overlays"),
  ttl: duration,
  seed: z.strictObject({
    size: z.enum(["none", "small", "medium", "large"]),
    seed: z.number(SEED).int(SEED).min(0, SEED).max(SEED_MAX, SEED).default(42),
  }),
  startupTimeout: duration.default(120_000),
  /** The runtime `dev:up` uses for this env unless --runtime says otherwise. */
  runtime: z.enum(RUNTIME_NAMES, `one of: ${RUNTIME_NAMES.join(", ")}`).optional(),
  /**
   * On the cluster runtime: the kubeconfig context of the existing cluster, and the registry its
   * nodes pull from (`dev:up --context`, `--registry` override them).
   */
  cluster: z
    .strictObject({
      context: z.string("a kubeconfig context's name").min(1, "a kubeconfig context's name").optional(),
      registry: z.string("HOST[:PORT] of a registry").optional(),
    })
    .default({}),
  /** On the Kind runtime, worker nodes beside the control plane (default: kind/cluster.yaml's). */
  kindWorkers: z.number(WORKERS).int(WORKERS).min(1, WORKERS).max(MAX_WORKERS, WORKERS).optional(),
  /** Optional parts switched on (kustomize components in kind/components), e.g. `[monitoring]`. */
  with: z.array(z.string(COMPONENT).regex(/^[a-z][a-z0-9-]*$/, COMPONENT), COMPONENTS).default([]),
});

export type EnvFile = z.infer<typeof envFileSchema> & { name: string; file: string };

export const knownEnvs = () =>
  readdirSync(envsDir())
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => f.slice(0, -5))
    .sort();

/** Loads envs/NAME.yaml: an unknown name lists the known ones; a bad file names file, line and field. */
export function loadEnvFile(name: string): EnvFile {
  const file = join(envsDir(), `${name}.yaml`);
  if (!existsSync(file))
    throw new UserError(
      `--env: unknown environment '${name}'`,
      `known environments: ${knownEnvs().join(", ")} (files in envs/)`,
    );
  const env = loadYamlFile(file, envFileSchema);
  if (!existsSync(join(kindDir(), "overlays", env.overlay, "kustomization.yaml"))) {
    throw new UserError(`envs/${name}.yaml: overlay: no kind/overlays/${env.overlay}/kustomization.yaml`);
  }
  env.with.forEach((component, i) => {
    const problem = componentProblem(component);
    if (problem) throw new UserError(`envs/${name}.yaml: with[${i}]: ${problem}`);
  });
  return { ...env, name, file };
}

export const knownComponents = () =>
  existsSync(join(kindDir(), "components"))
    ? readdirSync(join(kindDir(), "components"))
        .filter((c) => existsSync(join(kindDir(), "components", c, "kustomization.yaml")))
        .sort()
    : [];

function componentProblem(component: string): string | undefined {
  if (knownComponents().includes(component)) return undefined;
  return `unknown component '${component}'; known components: ${knownComponents().join(", ") || "(none)"} (folders in kind/components)`;
}

/**
 * An env file with components switched on by `--with a,b` besides its own `with:` (each named once,
 * in the order given); an unknown one names the flag and the known components.
 */
export function withComponents(envFile: EnvFile, flag: string | undefined): EnvFile {
  const asked = (flag ?? "")
    .split(",")
    .map((c) => c.trim())
    .filter(Boolean);
  for (const component of asked) {
    const problem = componentProblem(component);
    if (problem) throw new UserError(`--with: ${problem}`);
  }
  return { ...envFile, with: [...new Set([...envFile.with, ...asked])] };
}

/** An env file with the cluster runtime's target set by `--context` and `--registry`, where given. */
export function withCluster(envFile: EnvFile, flags: { context?: string; registry?: string }): EnvFile {
  return {
    ...envFile,
    cluster: {
      ...envFile.cluster,
      ...(flags.context !== undefined ? { context: flags.context } : {}),
      ...(flags.registry !== undefined ? { registry: flags.registry } : {}),
    },
  };
}

/** The env file with its Kind worker count replaced by `--kind-workers` (already checked), when given. */
export const withKindWorkers = (envFile: EnvFile, workers: number | undefined): EnvFile =>
  workers === undefined ? envFile : { ...envFile, kindWorkers: workers };

/** How messages name an env file and its components: `env dev with monitoring`. */
export const envLabel = (envFile: Pick<EnvFile, "name" | "with">) =>
  `env ${envFile.name}${envFile.with.length > 0 ? ` with ${envFile.with.join(", ")}` : ""}`;
