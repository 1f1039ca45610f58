import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { App } from "@azora/service-kit";
import { buildUserService } from "@azora/user-service";
import pg from "pg";
import { repoRoot } from "../paths.ts";

/**
 * The OpenAPI documents are generated from the services' route schemas (the one source of truth
 * for validation) and committed next to each service, so reviewers and the gateway read a file.
 */
const builders: Record<string, () => Promise<App>> = {
  // A pool that is never used: building the routes needs no connection.
  "user-service": () => buildUserService({ pool: new pg.Pool() }),
};

export const documentedServices = () => Object.keys(builders);
export const openApiFile = (service: string) => join(repoRoot, "services", service, "openapi.json");

export async function generateOpenApi(service: string): Promise<string> {
  const build = builders[service];
  if (!build) throw new Error(`unknown service '${service}'`);
  const app = await build();
  await app.ready();
  const text = `${JSON.stringify(app.swagger(), null, 2)}\n`;
  await app.close();
  return text;
}

/** Writes every document; with check, writes nothing and returns the services whose file is stale. */
export async function syncOpenApi({ check = false } = {}): Promise<string[]> {
  const stale: string[] = [];
  for (const service of documentedServices()) {
    const fresh = await generateOpenApi(service);
    let current = "";
    try {
      current = readFileSync(openApiFile(service), "utf8");
    } catch {}
    if (current !== fresh) {
      stale.push(service);
      if (!check) writeFileSync(openApiFile(service), fresh);
    }
  }
  return stale;
}
