import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { UserError } from "../errors.ts";
import { envsDir, kindDir } from "../paths.ts";

export { envsDir };

import { loadYamlFile } from "./yaml-file.ts";

const duration = (what: string) =>
  z
    .string()
    .regex(/^\d+(s|m|h|d)$/, `${what}: a duration such as 90s, 30m, 24h or 2d`)
    .transform(
      (text) =>
        Number(text.slice(0, -1)) *
        { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[text.slice(-1) as "s"],
    );

/** An env file chooses an overlay and sizes, nothing more: the stack itself lives in kind/. */
export const envFileSchema = z.strictObject({
  overlay: z.string().regex(/^[a-z][a-z0-9-]*$/, "the name of a folder in kind/overlays"),
  ttl: duration("ttl"),
  seed: z.strictObject({
    size: z.enum(["none", "small", "medium", "large"]),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(42),
  }),
  startupTimeout: duration("startupTimeout").default(120_000),
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
  return { ...env, name, file };
}
