import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildCourseService } from "@azora/course-service";
import { buildEnrollmentService } from "@azora/enrollment-service";
import type { App } from "@azora/service-kit";
import { buildSessionService } from "@azora/session-service";
import { buildUserService } from "@azora/user-service";
import { Redis } from "ioredis";
import pg from "pg";
import { repoRoot } from "../paths.ts";

/**
 * The OpenAPI documents are generated from the services' route schemas (the one source of truth
 * for validation) and committed next to each service, so reviewers and the gateway read a file.
 */
// Clients that are never used: building the routes needs no connection.
const builders: Record<string, () => Promise<App>> = {
  "user-service": () => buildUserService({ pool: new pg.Pool() }),
  "session-service": () =>
    buildSessionService({
      redis: new Redis({ lazyConnect: true }),
      userServiceUrl: "http://user-service",
      jwtSecret: "x".repeat(32),
      ttlSeconds: 3600,
    }),
  "course-service": () => buildCourseService({ pool: new pg.Pool() }),
  "enrollment-service": () => buildEnrollmentService({ pool: new pg.Pool() }),
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
