import { randomUUID } from "node:crypto";
import swagger from "@fastify/swagger";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from "fastify";
import { collectDefaultMetrics, Histogram, Registry } from "prom-client";
import { ApiError, ErrorResponse, isDependencyDown } from "./errors.ts";
import { createLogger, type Logger } from "./logger.ts";

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
type AddFormats = (ajv: Ajv) => Ajv;
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ??
  (addFormatsModule as unknown as AddFormats);

export interface ServiceOptions {
  name: string;
  version: string;
  description: string;
  logger?: Logger;
  bodyLimit?: number;
  /** Readiness: each dependency's check throws when it is unreachable. */
  checks: Record<string, () => Promise<unknown>>;
  routes: (app: App) => void | Promise<void>;
}

export type App = FastifyInstance<
  import("node:http").Server,
  import("node:http").IncomingMessage,
  import("node:http").ServerResponse,
  Logger,
  TypeBoxTypeProvider
>;

const errorBody = (
  code: string,
  message: string,
  requestId: string,
  details?: { field: string; problem: string }[],
) => ({
  error: { code, message, requestId, ...(details && details.length > 0 ? { details } : {}) },
});

/** Ajv instances: bodies are validated strictly (no coercion, unknown fields rejected); query and path strings are coerced. */
function validators() {
  const common = { allErrors: true, removeAdditional: false, useDefaults: true, strict: false } as const;
  const body = new Ajv({ ...common, coerceTypes: false });
  const params = new Ajv({ ...common, coerceTypes: "array" });
  for (const ajv of [body, params]) addFormats(ajv);
  return { body, params };
}

function validationDetails(error: FastifyError): { field: string; problem: string }[] {
  const where = error.validationContext ?? "request";
  return (error.validation ?? []).map((v) => {
    const extra = (v.params as { additionalProperty?: string }).additionalProperty;
    const path = `${where}${v.instancePath}${extra ? `/${extra}` : ""}`;
    return { field: path, problem: extra ? "unknown field" : (v.message ?? "invalid") };
  });
}

/** Retry-After on every 503: about how long a failover or a burst takes to pass. */
export const RETRY_AFTER_SECONDS = 1;

/**
 * Builds an Azora service: Fastify with strict validation from the route schemas, the documented
 * error shape for every failure, /healthz, /readyz, /metrics, /openapi.json, JSON logs with
 * request ids, and a `closing` switch that turns readiness off during graceful shutdown.
 */
export async function createService(options: ServiceOptions): Promise<App> {
  const app = Fastify({
    loggerInstance: options.logger ?? createLogger(options.name),
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    requestIdHeader: "x-request-id",
    genReqId: () => randomUUID(),
    return503OnClosing: true,
    forceCloseConnections: "idle",
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const ajv = validators();
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === "body" ? ajv.body : ajv.params).compile(schema),
  );
  app.addSchema(ErrorResponse);

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: { title: options.name, version: options.version, description: options.description },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } } },
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });

  // Set by preClose: readiness turns 503, and responses ask clients to drop their keep-alive
  // connection, so that the server can finish closing once in-flight requests are answered.
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  app.addHook("onSend", async (request, reply) => {
    reply.header("x-request-id", request.id);
    if (closing) reply.header("connection", "close");
  });

  app.setErrorHandler((error: FastifyError, request, reply: FastifyReply) => {
    const send = (
      status: number,
      code: string,
      message: string,
      details?: { field: string; problem: string }[],
    ) => {
      // A 503 is temporary (a dependency down, too much at once): say when to come back.
      if (status === 503) reply.header("retry-after", String(RETRY_AFTER_SECONDS));
      return reply.status(status).send(errorBody(code, message, request.id, details));
    };
    if (error instanceof ApiError) return send(error.statusCode, error.code, error.message, error.details);
    if (error.validation)
      return send(
        400,
        "validation_failed",
        "the request does not match the API contract",
        validationDetails(error),
      );
    switch (error.code) {
      case "FST_ERR_CTP_BODY_TOO_LARGE":
        return send(
          413,
          "body_too_large",
          `the request body exceeds ${options.bodyLimit ?? 64 * 1024} bytes`,
        );
      case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
        return send(415, "unsupported_media_type", "send the request body as application/json");
      case "FST_ERR_CTP_EMPTY_JSON_BODY":
      case "FST_ERR_CTP_INVALID_JSON_BODY":
        return send(400, "invalid_json", "the request body is not valid JSON");
    }
    if (error instanceof SyntaxError && error.statusCode === 400)
      return send(400, "invalid_json", "the request body is not valid JSON");
    // Postgres data exceptions (class 22: a NUL byte in text, a value out of range, ...) are the
    // client's input that the schema could not rule out: a 400, not a 500.
    if (/^22[0-9A-Z]{3}$/.test((error as { code?: string }).code ?? "")) {
      return send(400, "invalid_input", `the database refused a value: ${error.message}`);
    }
    if (isDependencyDown(error)) {
      request.log.warn({ err: error.message }, "dependency unavailable");
      return send(
        503,
        "dependency_unavailable",
        "a service this request needs is unavailable; retry shortly",
      );
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500)
      return send(error.statusCode, "bad_request", error.message);
    request.log.error({ err: error }, "unhandled error");
    return send(500, "internal", "internal error");
  });

  // A known path with another method is 405 with an Allow header; an unknown path is 404. A path
  // that names a static route (/courses/search) is that route's, even when another method's
  // parametric route (/courses/:id) would match it.
  const routes: { pattern: RegExp; method: string; isStatic: boolean }[] = [];
  app.addHook("onRoute", (route) => {
    const pattern = new RegExp(`^${route.url.replace(/:[^/]+/g, "[^/]+")}/?$`);
    for (const method of [route.method].flat())
      routes.push({ pattern, method: String(method), isStatic: !route.url.includes(":") });
  });
  // Answered in onRequest, before body parsing, so that methods with a body (QUERY) get it too.
  app.addHook("onRequest", async (request, reply) => {
    const path = request.url.split("?")[0] ?? "/";
    const matching = routes.filter((r) => r.pattern.test(path));
    const staticOnes = matching.filter((r) => r.isStatic);
    const shadowed = !request.is404 && request.routeOptions.url?.includes(":") && staticOnes.length > 0;
    if (!request.is404 && !shadowed) return;
    const allowed = [...new Set((staticOnes.length > 0 ? staticOnes : matching).map((r) => r.method))];
    if (allowed.length === 0) return;
    reply.header("allow", allowed.join(", "));
    return reply
      .status(405)
      .send(
        errorBody(
          "method_not_allowed",
          `${request.method} is not allowed on ${path}; allowed: ${allowed.join(", ")}`,
          request.id,
        ),
      );
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send(
        errorBody(
          "route_not_found",
          `no route for ${request.method} ${request.url.split("?")[0]}`,
          request.id,
        ),
      ),
  );

  // Metrics: default process metrics plus a request histogram by route template.
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request duration by method, route and status",
    labelNames: ["method", "route", "status_code"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  app.addHook("onResponse", async (request, reply) => {
    duration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? "unmatched",
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });

  const Status = {
    type: "object",
    properties: { status: { type: "string" } },
    required: ["status"],
  } as const;
  app.get(
    "/healthz",
    { schema: { tags: ["probes"], summary: "Liveness", response: { 200: Status } } },
    async () => ({ status: "ok" }),
  );
  const Ready = {
    type: "object",
    properties: {
      status: { type: "string", enum: ["ready", "not_ready"] },
      checks: { type: "object", additionalProperties: { type: "string" } },
    },
    required: ["status", "checks"],
  } as const;
  app.get(
    "/readyz",
    {
      schema: {
        tags: ["probes"],
        summary: "Readiness: every dependency reachable",
        response: { 200: Ready, 503: Ready },
      },
    },
    async (_request, reply) => {
      const entries = await Promise.all(
        Object.entries(options.checks).map(async ([name, check]) => {
          try {
            await withTimeout(check(), 1_500);
            return [name, "ok"] as const;
          } catch (error) {
            return [name, (error as Error).message || "unreachable"] as const;
          }
        }),
      );
      const ready = !closing && entries.every(([, result]) => result === "ok");
      return reply.status(ready ? 200 : 503).send({
        status: ready ? "ready" : "not_ready",
        checks: Object.fromEntries(closing ? [...entries, ["shutdown", "closing"]] : entries),
      });
    },
  );
  app.get("/metrics", { schema: { hide: true } }, async (_request, reply) => {
    reply.header("content-type", registry.contentType);
    return registry.metrics();
  });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  await options.routes(app);
  return app;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/**
 * Listens and shuts down gracefully on SIGTERM/SIGINT: readiness turns 503, no new connections
 * are accepted, in-flight requests finish (up to graceMs), then dependencies close.
 */
export async function runService(
  app: App,
  { port, graceMs, onClose }: { port: number; graceMs: number; onClose: () => Promise<void> },
) {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, "shutting down: draining in-flight requests");
    const force = setTimeout(() => {
      app.log.error("in-flight requests did not finish within the grace period; exiting");
      process.exit(1);
    }, graceMs);
    force.unref();
    await app.close();
    await onClose();
    app.log.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  await app.listen({ host: "0.0.0.0", port });
}
