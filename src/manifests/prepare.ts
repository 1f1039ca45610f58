import { existsSync } from "node:fs";
import { join } from "node:path";
import type { EnvFile } from "../config/env-file.ts";
import { checkApiDefinitions } from "../gateway/api-definition.ts";
import { type PolicyModel, policyModel } from "../netpol/policy-model.ts";
import { kindDir } from "../paths.ts";
import { type Plan, planObjects, type RuntimeSupport } from "./plan.ts";
import { renderedName, renderOverlay } from "./render.ts";
import { generateSecrets, type SecretValues } from "./secrets.ts";

/** An environment checked and ready to hand to a runtime: nothing has started yet. */
export interface PreparedEnvironment {
  envFile: EnvFile;
  plan: Plan;
  secrets: SecretValues;
  policies: PolicyModel;
}

/**
 * The runtime-neutral part of bringing an environment up: render the env's overlay, check it
 * against what the runtime supports, generate (or keep) its secrets and build its NetworkPolicy
 * model. Every problem surfaces here, before anything starts. `namespace` moves the overlay's
 * objects into another namespace than its own (one per environment on a shared cluster).
 */
export async function prepareEnvironment(
  envFile: EnvFile,
  support: RuntimeSupport,
  previousSecrets?: SecretValues,
  { namespace }: { namespace?: string } = {},
): Promise<PreparedEnvironment> {
  const objects = await renderOverlay(envFile.overlay, envFile.with, { namespace });
  // Tyk loads a misspelt or unknown field silently: the gateway's files are checked first.
  const gateway = join(kindDir(), "base", "gateway");
  if (existsSync(gateway)) checkApiDefinitions(gateway);
  const plan = planObjects(objects, renderedName(envFile.overlay, envFile.with), support);
  return {
    envFile,
    plan,
    secrets: generateSecrets(plan, previousSecrets),
    policies: policyModel(objects),
  };
}
