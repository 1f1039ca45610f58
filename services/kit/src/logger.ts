import { pino } from "pino";

/** Structured JSON logs on stdout, one object per line, tagged with the service name. */
export function createLogger(service: string, level = "info") {
  return pino({
    level,
    base: { service },
    redact: ["req.headers.authorization", "req.headers.cookie"],
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

export type Logger = ReturnType<typeof createLogger>;
