import { z } from "zod";

/**
 * Reads a service's configuration from environment variables (the names its Kubernetes ConfigMap
 * and Secret carry). A missing or malformed variable stops the service at start-up, naming it.
 */
export function readConfig<S extends z.ZodRawShape>(
  shape: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<S>> {
  const result = z.object(shape).safeParse(env);
  if (result.success) return result.data;
  // One structured log line naming every bad variable, then a non-zero exit: a crash-looping
  // container shows what to fix in its first log line, without a stack trace.
  const problems = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  console.error(
    JSON.stringify({ level: 60, time: new Date().toISOString(), msg: "invalid configuration", problems }),
  );
  process.exit(78); // EX_CONFIG
}

/** Settings every service has. */
export const commonConfig = {
  PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(64 * 1024),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
};

export const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    `expected a ${protocols.join(" or ")}// URL`,
  );
