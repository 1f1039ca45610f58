import {
  ApiError,
  type App,
  commonConfig,
  createLogger,
  createService,
  EMBEDDING_DIMENSIONS,
  ErrorResponse,
  errors,
  FeatureHashingEmbedder,
  isDependencyDown,
  ListOf,
  type Logger,
  notFound,
  Page,
  readConfig,
  runService,
  Timestamp,
  Type,
  tokenize,
  toPgVector,
  Uuid,
  url,
} from "@azora/service-kit";
import { Ajv } from "ajv";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { z } from "zod";

// What every Azora service gets from services/kit, exercised in process: Fastify's inject() needs
// no port, and no check here touches Postgres or Redis.

afterEach(() => {
  vi.restoreAllMocks();
});

/** Every line a kit logger writes, parsed (pino writes straight to fd 1; its stream is swapped). */
function captured(logger: Logger): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  const stream = Object.getOwnPropertySymbols(logger).find((s) => s.description === "pino.stream");
  if (!stream) throw new Error("pino keeps its stream elsewhere now");
  (logger as unknown as Record<symbol, unknown>)[stream] = {
    write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>),
  };
  return lines;
}

/** readConfig's verdict: the parsed values, or the exit code and the one log line it wrote. */
function configOf<S extends z.ZodRawShape>(shape: S, env: NodeJS.ProcessEnv) {
  const exit = vi.spyOn(process, "exit").mockImplementation((code) => {
    throw new Error(`exit ${code}`);
  });
  const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
  try {
    return { values: readConfig(shape, env) as Record<string, unknown> };
  } catch (e) {
    expect(exit).toHaveBeenCalledTimes(1);
    expect(error).toHaveBeenCalledTimes(1);
    const line = JSON.parse(String(error.mock.calls[0]?.[0])) as {
      level: number;
      time: string;
      msg: string;
      problems: string[];
    };
    return { exit: (e as Error).message, line };
  } finally {
    exit.mockRestore();
    error.mockRestore();
  }
}

describe("service configuration from the environment", () => {
  it("defaults every common setting", () => {
    expect(configOf(commonConfig, {})).toEqual({
      values: { PORT: 8080, LOG_LEVEL: "info", BODY_LIMIT_BYTES: 65_536, SHUTDOWN_GRACE_MS: 10_000 },
    });
  });

  it("reads numbers from their text, at the edges of their ranges", () => {
    expect(
      configOf(commonConfig, {
        PORT: "1",
        LOG_LEVEL: "silent",
        BODY_LIMIT_BYTES: "1024",
        SHUTDOWN_GRACE_MS: "0",
      }),
    ).toEqual({ values: { PORT: 1, LOG_LEVEL: "silent", BODY_LIMIT_BYTES: 1024, SHUTDOWN_GRACE_MS: 0 } });
    expect(configOf(commonConfig, { PORT: "65535" }).values?.PORT).toBe(65_535);
    for (const level of ["fatal", "error", "warn", "info", "debug", "trace", "silent"])
      expect(configOf(commonConfig, { LOG_LEVEL: level }).values?.LOG_LEVEL).toBe(level);
  });

  it("stops the service with EX_CONFIG (78) and one JSON line naming every bad variable", () => {
    const result = configOf(commonConfig, {
      PORT: "65536",
      LOG_LEVEL: "verbose",
      BODY_LIMIT_BYTES: "1023",
      SHUTDOWN_GRACE_MS: "-1",
    });
    expect(result.exit).toBe("exit 78");
    expect(result.line).toMatchObject({ level: 60, msg: "invalid configuration" });
    expect(new Date(String(result.line?.time)).toISOString()).toBe(result.line?.time);
    expect(result.line?.problems.map((p) => p.split(":")[0])).toEqual([
      "PORT",
      "LOG_LEVEL",
      "BODY_LIMIT_BYTES",
      "SHUTDOWN_GRACE_MS",
    ]);
    expect(configOf(commonConfig, { PORT: "0" }).exit).toBe("exit 78");
    expect(configOf(commonConfig, { PORT: "80.5" }).exit).toBe("exit 78");
    expect(configOf(commonConfig, { BODY_LIMIT_BYTES: "2048.5" }).exit).toBe("exit 78");
    expect(configOf(commonConfig, { SHUTDOWN_GRACE_MS: "0.5" }).exit).toBe("exit 78");
  });

  it("accepts a URL only with one of the given schemes, and says which", () => {
    const shape = { DATABASE_URL: url(["postgres:", "postgresql:"]) };
    expect(configOf(shape, { DATABASE_URL: "postgres://app@db:5432/azora" }).values).toEqual({
      DATABASE_URL: "postgres://app@db:5432/azora",
    });
    expect(configOf(shape, { DATABASE_URL: "postgresql://db/azora" }).values).toBeDefined();
    for (const bad of ["http://db/azora", "db:5432", "not a url"])
      expect(configOf(shape, { DATABASE_URL: bad }).line?.problems).toEqual([
        "DATABASE_URL: expected a postgres: or postgresql:// URL",
      ]);
  });
});

describe("the feature-hashing embedder", () => {
  // Buckets and signs from FNV-1a 32 (the published test vector: "a" -> 0xe40c292c, bucket
  // 0xe40c292c % 384 = 172; the sign is bit 0 of FNV-1a seeded with 0x9747b28c), worked out
  // independently of the code.
  const nonZero = (v: Float32Array) =>
    Object.fromEntries(
      [...v.entries()].filter(([, x]) => x !== 0).map(([i, x]) => [i, Number(x.toFixed(6))]),
    );

  it("splits text into lower-cased words of letters and digits", () => {
    expect(tokenize("Hello, Wörld! 42 times_two")).toEqual(["hello", "wörld", "42", "times", "two"]);
    expect(tokenize("  ...  ")).toEqual([]);
  });

  it("hashes each word to one bucket with a sign, pairs of words at half weight, then normalises", () => {
    const embedder = new FeatureHashingEmbedder();
    expect(EMBEDDING_DIMENSIONS).toBe(384);
    expect(embedder.dimensions).toBe(384);
    expect(embedder.embed("a")).toHaveLength(384);
    expect(nonZero(embedder.embed("a"))).toEqual({ 172: -1 });
    expect(nonZero(embedder.embed("hello"))).toEqual({ 171: 1 });
    // "a" -> 172 (-), "b" -> 229 (+), the pair "a b" -> 370 (-, weight 0.5); norm 1.5.
    expect(nonZero(embedder.embed("A, b"))).toEqual({ 172: -0.666667, 229: 0.666667, 370: -0.333333 });
  });

  it("gives an empty text a fixed unit vector, and honours another dimension count", () => {
    expect(nonZero(new FeatureHashingEmbedder().embed(""))).toEqual({ 0: 1 });
    const small = new FeatureHashingEmbedder(8);
    expect(small.dimensions).toBe(8);
    // 0xe40c292c % 8 = 4.
    expect([...small.embed("a")]).toEqual([0, 0, 0, 0, -1, 0, 0, 0]);
  });

  it("writes vectors in pgvector's text form, six decimals at most", () => {
    expect(toPgVector(Float32Array.from([0.1234567, -1, 0, 0.5]))).toBe("[0.123457,-1,0,0.5]");
    expect(toPgVector(new Float32Array(0))).toBe("[]");
  });
});

describe("errors", () => {
  it("an ApiError carries status, code, message and details; notFound is the 404", () => {
    const e = new ApiError(409, "email_taken", "taken", [{ field: "body/email", problem: "taken" }]);
    expect(e).toBeInstanceOf(Error);
    expect([e.statusCode, e.code, e.message, e.details]).toEqual([
      409,
      "email_taken",
      "taken",
      [{ field: "body/email", problem: "taken" }],
    ]);
    const missing = notFound("course");
    expect([missing.statusCode, missing.code, missing.message, missing.details]).toEqual([
      404,
      "not_found",
      "course not found",
      undefined,
    ]);
  });

  it("the documented error shape admits nothing else", () => {
    const validate = new Ajv({ strict: false }).compile(ErrorResponse);
    const body = { error: { code: "x", message: "y", requestId: "z" } };
    expect(validate(body)).toBe(true);
    expect(validate({ error: { ...body.error, details: [{ field: "f", problem: "p" }] } })).toBe(true);
    expect(validate({ ...body, extra: 1 })).toBe(false);
    expect(validate({ error: { ...body.error, extra: 1 } })).toBe(false);
    expect(validate({ error: { ...body.error, details: [{ field: "f", problem: "p", extra: 1 }] } })).toBe(
      false,
    );
    expect(validate({ error: { code: "x", message: "y" } })).toBe(false);
    expect((ErrorResponse as { $id?: string }).$id).toBe("ErrorResponse");
  });

  it("tells a dependency that is down from any other failure", () => {
    for (const code of [
      "ECONNREFUSED",
      "ECONNRESET",
      "ECONNABORTED",
      "ENOTFOUND",
      "EAI_AGAIN",
      "ETIMEDOUT",
      "EPIPE",
      "EHOSTUNREACH",
    ])
      expect(isDependencyDown({ code }), code).toBe(true);
    // Postgres class 08, 57P01-57P03, 25006 (a write on a replica: a failover under way), and
    // 53300 (too many connections, as every pool reconnects to a new primary at once).
    for (const code of ["08000", "08006", "08P01", "57P01", "57P02", "57P03", "25006", "53300"])
      expect(isDependencyDown({ code }), code).toBe(true);
    for (const code of ["57P04", "08", "080000", "x08006", "22P02", "23505", "25001", "53400", "EACCES"])
      expect(isDependencyDown({ code }), code).toBe(false);
    for (const message of [
      "Connection terminated unexpectedly",
      "timeout exceeded when trying to connect",
      "Query read timeout",
      "Stream isn't writeable and enableOfflineQueue options is false",
      "connection is closed.",
      "Reached the max retries per request limit (which is 1). Refer to MaxRetriesPerRequest",
      "Command timed out",
    ])
      expect(isDependencyDown(new Error(message)), message).toBe(true);
    expect(isDependencyDown(new Error("duplicate key value"))).toBe(false);
    expect(isDependencyDown({})).toBe(false);
    expect(isDependencyDown(null)).toBe(false);
    expect(isDependencyDown(undefined)).toBe(false);
  });
});

describe("route-schema pieces", () => {
  it("pages, lists, ids, timestamps and error entries", () => {
    const ajv = new Ajv({ strict: false, useDefaults: true });
    const page = ajv.compile(Type.Object(Page));
    const query: Record<string, number> = {};
    expect(page(query)).toBe(true);
    expect(query).toEqual({ limit: 20, offset: 0 });
    expect([1, 100].map((limit) => page({ limit, offset: 0 }))).toEqual([true, true]);
    expect([0, 101].map((limit) => page({ limit, offset: 0 }))).toEqual([false, false]);
    expect([0, 1_000_000].map((offset) => page({ limit: 1, offset }))).toEqual([true, true]);
    expect([-1, 1_000_001].map((offset) => page({ limit: 1, offset }))).toEqual([false, false]);
    expect((Page.limit as { description?: string }).description).toBe("page size (at most 100)");

    const list = ajv.compile(ListOf(Type.String()));
    expect(list({ items: ["a"], total: 1, limit: 20, offset: 0 })).toBe(true);
    expect(list({ items: ["a"], total: 1, limit: 20, offset: 0, next: 2 })).toBe(false);
    expect(list({ items: [1], total: 1, limit: 20, offset: 0 })).toBe(false);
    expect(list({ items: [], total: 0, limit: 20 })).toBe(false);

    const format = (schema: unknown) => (schema as { format?: string }).format;
    expect([format(Uuid), format(Timestamp)]).toEqual(["uuid", "date-time"]);
    const ref = { $ref: "ErrorResponse#", description: "An error in the documented shape" };
    expect(errors(400, 404)).toEqual({ 400: ref, 404: ref });
    expect(errors()).toEqual({});
  });
});

describe("logs", () => {
  it("are JSON lines tagged with the service, ISO times, credentials redacted", () => {
    const logger = createLogger("user-service");
    expect(logger.level).toBe("info");
    expect(createLogger("x", "debug").level).toBe("debug");
    const lines = captured(logger);
    logger.debug("not at info");
    logger.info(
      { req: { headers: { authorization: "Bearer secret", cookie: "sid=secret", accept: "*/*" } } },
      "hello",
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      service: "user-service",
      msg: "hello",
      req: { headers: { authorization: "[Redacted]", cookie: "[Redacted]", accept: "*/*" } },
    });
    expect(new Date(String(lines[0]?.time)).toISOString()).toBe(lines[0]?.time);
  });
});

// A small service with the kinds of routes the real ones have.
const Thing = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    count: Type.Optional(Type.Integer()),
    when: Type.Optional(Timestamp),
  },
  { additionalProperties: false },
);
const failures: Record<string, () => unknown> = {
  missing: () => notFound("thing"),
  conflict: () => new ApiError(409, "thing_taken", "taken", [{ field: "body/name", problem: "taken" }]),
  bug: () => new Error("kaput"),
  "bad-value": () => Object.assign(new Error("invalid input syntax for type uuid"), { code: "22P02" }),
  "not-data": () => Object.assign(new Error("unique violation"), { code: "23505" }),
  down: () => Object.assign(new Error("connect ECONNREFUSED 10.0.0.1:5432"), { code: "ECONNREFUSED" }),
  teapot: () => Object.assign(new Error("short and stout"), { statusCode: 418 }),
  "server-side": () => Object.assign(new Error("upstream broke"), { statusCode: 502 }),
  syntax: () => Object.assign(new SyntaxError("Unexpected token"), { statusCode: 400 }),
  "syntax-500": () => new SyntaxError("a bug that is a SyntaxError"),
  "status-399": () => Object.assign(new Error("odd"), { statusCode: 399 }),
  "status-400": () => Object.assign(new Error("plain bad request"), { statusCode: 400 }),
  "status-499": () => Object.assign(new Error("closed early"), { statusCode: 499 }),
  "status-500": () => Object.assign(new Error("said 500"), { statusCode: 500 }),
  "data-22001": () => Object.assign(new Error("value too long"), { code: "22001" }),
  "code-220": () => Object.assign(new Error("short code"), { code: "220" }),
  "code-22P02X": () => Object.assign(new Error("long code"), { code: "22P02X" }),
  "code-X22001": () => Object.assign(new Error("prefixed code"), { code: "X22001" }),
};

async function service(
  options: { bodyLimit?: number; checks?: Record<string, () => Promise<unknown>> } = {},
): Promise<{ app: App; logs: Record<string, unknown>[] }> {
  const logger = createLogger("thing-service");
  const logs = captured(logger);
  const app = await createService({
    name: "thing-service",
    version: "1.2.3",
    description: "Things, for tests.",
    logger,
    ...(options.bodyLimit ? { bodyLimit: options.bodyLimit } : {}),
    checks: options.checks ?? { postgres: async () => undefined },
    routes: (app) => {
      app.get("/things", { schema: { querystring: Type.Object(Page) } }, async (request) => request.query);
      app.get("/things/search", async () => ({ found: [] }));
      app.get("/things/:id", async (request) => {
        const { id } = request.params as { id: string };
        const failure = failures[id];
        if (failure) throw failure();
        return { id };
      });
      app.patch("/things/:id", { schema: { body: Thing } }, async (request) => request.body);
      app.get(
        "/tagged",
        { schema: { querystring: Type.Object({ tag: Type.Array(Type.String()) }) } },
        async (request) => request.query,
      );
      app.get(
        "/by-id/:id",
        { schema: { params: Type.Object({ id: Uuid }) } },
        async (request) => request.params,
      );
      app.post("/things", { schema: { body: Thing } }, async (request, reply) =>
        reply.status(201).send(request.body),
      );
    },
  });
  return { app, logs };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("an Azora service", () => {
  it("answers liveness, tags every response with a request id, and echoes a given one", async () => {
    const { app } = await service();
    const health = await app.inject({ method: "GET", url: "/healthz" });
    expect([health.statusCode, health.json()]).toEqual([200, { status: "ok" }]);
    expect(health.headers["x-request-id"]).toMatch(UUID);
    const traced = await app.inject({
      method: "GET",
      url: "/healthz/",
      headers: { "x-request-id": "trace-1" },
    });
    // Only a closing service asks clients to drop the connection.
    expect([traced.statusCode, traced.headers["x-request-id"], traced.headers.connection]).toEqual([
      200,
      "trace-1",
      "keep-alive",
    ]);
    await app.close();
  });

  it("is ready when every check passes, and names each failing one", async () => {
    const ok = await service({ checks: { postgres: async () => 1, redis: async () => "PONG" } });
    const ready = await ok.app.inject({ method: "GET", url: "/readyz" });
    expect([ready.statusCode, ready.json()]).toEqual([
      200,
      { status: "ready", checks: { postgres: "ok", redis: "ok" } },
    ]);
    await ok.app.close();

    const failing = await service({
      checks: {
        postgres: async () => {
          throw new Error("connect ECONNREFUSED");
        },
        redis: async () => {
          throw new Error("");
        },
        cache: async () => undefined,
      },
    });
    const notReady = await failing.app.inject({ method: "GET", url: "/readyz" });
    expect([notReady.statusCode, notReady.json()]).toEqual([
      503,
      {
        status: "not_ready",
        checks: { postgres: "connect ECONNREFUSED", redis: "unreachable", cache: "ok" },
      },
    ]);
    await failing.app.close();
  });

  it("gives a check that hangs 1.5 s before calling it unreachable", async () => {
    const { app } = await service({ checks: { postgres: () => new Promise(() => undefined) } });
    const began = performance.now();
    const answer = await app.inject({ method: "GET", url: "/readyz" });
    const ms = performance.now() - began;
    expect([answer.statusCode, answer.json()]).toEqual([
      503,
      { status: "not_ready", checks: { postgres: "no answer within 1500 ms" } },
    ]);
    expect(ms).toBeGreaterThanOrEqual(1_450);
    expect(ms).toBeLessThan(5_000);
    await app.close();
  });

  it("turns readiness off while shutting down and asks clients to drop the connection", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { app } = await service({ checks: { postgres: () => gate } });
    const pending = app.inject({ method: "GET", url: "/readyz" });
    await new Promise((r) => setTimeout(r, 50));
    const closed = app.close();
    await new Promise((r) => setTimeout(r, 50));
    release();
    const answer = await pending;
    expect([answer.statusCode, answer.json(), answer.headers.connection]).toEqual([
      503,
      { status: "not_ready", checks: { postgres: "ok", shutdown: "closing" } },
      "close",
    ]);
    await closed;
  });

  it("answers a request that breaks the schema with 400 and the fields at fault", async () => {
    const { app } = await service();
    const answer = await app.inject({
      method: "POST",
      url: "/things",
      payload: { name: "", extra: 1 },
      headers: { "x-request-id": "req-1" },
    });
    expect(answer.statusCode).toBe(400);
    expect(answer.json()).toEqual({
      error: {
        code: "validation_failed",
        message: "the request does not match the API contract",
        requestId: "req-1",
        details: [
          { field: "body/extra", problem: "unknown field" },
          { field: "body/name", problem: "must NOT have fewer than 1 characters" },
        ],
      },
    });
    // Bodies are not coerced ("5" is no integer); query strings are.
    const coerced = await app.inject({ method: "POST", url: "/things", payload: { name: "x", count: "5" } });
    expect(coerced.json().error.details).toEqual([{ field: "body/count", problem: "must be integer" }]);
    const created = await app.inject({ method: "POST", url: "/things", payload: { name: "x", count: 5 } });
    expect([created.statusCode, created.json()]).toEqual([201, { name: "x", count: 5 }]);
    const query = await app.inject({ method: "GET", url: "/things?limit=5" });
    expect(query.json()).toEqual({ limit: 5, offset: 0 });
    const badQuery = await app.inject({ method: "GET", url: "/things?limit=0" });
    expect(badQuery.json().error.details).toEqual([{ field: "querystring/limit", problem: "must be >= 1" }]);
    // One value where the schema wants a list is a list of one.
    expect((await app.inject({ method: "GET", url: "/tagged?tag=a" })).json()).toEqual({ tag: ["a"] });
    // Formats are checked in bodies and in paths.
    const when = await app.inject({
      method: "POST",
      url: "/things",
      payload: { name: "x", when: "yesterday" },
    });
    expect(when.json().error.details).toEqual([
      { field: "body/when", problem: 'must match format "date-time"' },
    ]);
    const id = await app.inject({ method: "GET", url: "/by-id/not-a-uuid" });
    expect(id.json().error.details).toEqual([{ field: "params/id", problem: 'must match format "uuid"' }]);
    const uuid = "9b2f0a5e-3d5c-4c1e-8f6a-1b2c3d4e5f60";
    expect((await app.inject({ method: "GET", url: `/by-id/${uuid}` })).json()).toEqual({ id: uuid });
    await app.close();
  });

  it("answers bodies it cannot read with 413, 415 and 400, in the error shape", async () => {
    const { app } = await service({ bodyLimit: 1024 });
    const big = await app.inject({ method: "POST", url: "/things", payload: { name: "x".repeat(2000) } });
    expect([big.statusCode, big.json().error.code, big.json().error.message]).toEqual([
      413,
      "body_too_large",
      "the request body exceeds 1024 bytes",
    ]);
    const text = await app.inject({
      method: "POST",
      url: "/things",
      payload: "<name>x</name>",
      headers: { "content-type": "application/xml" },
    });
    expect([text.statusCode, text.json().error]).toEqual([
      415,
      {
        code: "unsupported_media_type",
        message: "send the request body as application/json",
        requestId: text.headers["x-request-id"],
      },
    ]);
    for (const payload of ["{", ""]) {
      const broken = await app.inject({
        method: "POST",
        url: "/things",
        payload,
        headers: { "content-type": "application/json" },
      });
      expect([broken.statusCode, broken.json().error.code, broken.json().error.message]).toEqual([
        400,
        "invalid_json",
        "the request body is not valid JSON",
      ]);
    }
    await app.close();

    const { app: defaults } = await service();
    const huge = await defaults.inject({
      method: "POST",
      url: "/things",
      payload: { name: "x".repeat(70_000) },
    });
    expect([huge.statusCode, huge.json().error.message]).toEqual([
      413,
      "the request body exceeds 65536 bytes",
    ]);
    const fits = await defaults.inject({
      method: "POST",
      url: "/things",
      payload: { name: "x".repeat(2000) },
    });
    expect(fits.statusCode).toBe(201);
    await defaults.close();
  });

  it("maps what a route throws to a status and a stable code, logging what needs a look", async () => {
    const { app, logs } = await service();
    const answers: Record<string, unknown> = {};
    const retryAfter: Record<string, unknown> = {};
    for (const id of Object.keys(failures)) {
      const answer = await app.inject({ method: "GET", url: `/things/${id}` });
      answers[id] = [answer.statusCode, answer.json()];
      expect(answer.json().error.requestId).toBe(answer.headers["x-request-id"]);
      if ("retry-after" in answer.headers) retryAfter[id] = answer.headers["retry-after"];
    }
    // Only the temporary failure says when to come back.
    expect(retryAfter).toEqual({ down: "1" });
    const error = (status: number, code: string, message: string, details?: unknown) => [
      status,
      { error: { code, message, requestId: expect.any(String), ...(details ? { details } : {}) } },
    ];
    expect(answers).toEqual({
      missing: error(404, "not_found", "thing not found"),
      conflict: error(409, "thing_taken", "taken", [{ field: "body/name", problem: "taken" }]),
      bug: error(500, "internal", "internal error"),
      "bad-value": error(
        400,
        "invalid_input",
        "the database refused a value: invalid input syntax for type uuid",
      ),
      "not-data": error(500, "internal", "internal error"),
      down: error(
        503,
        "dependency_unavailable",
        "a service this request needs is unavailable; retry shortly",
      ),
      teapot: error(418, "bad_request", "short and stout"),
      "server-side": error(500, "internal", "internal error"),
      syntax: error(400, "invalid_json", "the request body is not valid JSON"),
      "syntax-500": error(500, "internal", "internal error"),
      "status-399": error(500, "internal", "internal error"),
      "status-400": error(400, "bad_request", "plain bad request"),
      "status-499": error(499, "bad_request", "closed early"),
      "status-500": error(500, "internal", "internal error"),
      "data-22001": error(400, "invalid_input", "the database refused a value: value too long"),
      "code-220": error(500, "internal", "internal error"),
      "code-22P02X": error(500, "internal", "internal error"),
      "code-X22001": error(500, "internal", "internal error"),
    });
    const worth = logs.filter((l) => (l.level as number) >= 40).map((l) => [l.level, l.msg, l.err]);
    expect(worth).toEqual([
      [50, "unhandled error", expect.objectContaining({ message: "kaput" })],
      [50, "unhandled error", expect.objectContaining({ message: "unique violation" })],
      [40, "dependency unavailable", "connect ECONNREFUSED 10.0.0.1:5432"],
      [50, "unhandled error", expect.objectContaining({ message: "upstream broke" })],
      [50, "unhandled error", expect.objectContaining({ message: "a bug that is a SyntaxError" })],
      [50, "unhandled error", expect.objectContaining({ message: "odd" })],
      [50, "unhandled error", expect.objectContaining({ message: "said 500" })],
      [50, "unhandled error", expect.objectContaining({ message: "short code" })],
      [50, "unhandled error", expect.objectContaining({ message: "long code" })],
      [50, "unhandled error", expect.objectContaining({ message: "prefixed code" })],
    ]);
    await app.close();
  });

  it("answers an unknown path 404 and a known path with another method 405 with Allow", async () => {
    const { app } = await service();
    const unknown = await app.inject({ method: "GET", url: "/nothing/here?x=1" });
    expect([unknown.statusCode, unknown.json().error.code, unknown.json().error.message]).toEqual([
      404,
      "route_not_found",
      "no route for GET /nothing/here",
    ]);
    const wrong = await app.inject({ method: "DELETE", url: "/healthz?x=1" });
    expect([wrong.statusCode, wrong.headers.allow, wrong.json().error]).toEqual([
      405,
      "GET, HEAD",
      {
        code: "method_not_allowed",
        message: "DELETE is not allowed on /healthz; allowed: GET, HEAD",
        requestId: wrong.headers["x-request-id"],
      },
    ]);
    // A parametric path: every method of /things/:id.
    const param = await app.inject({ method: "POST", url: "/things/7" });
    expect([param.statusCode, param.headers.allow]).toEqual([405, "GET, HEAD, PATCH"]);
    // /things/search is a static route: PATCH there is not /things/:id's PATCH.
    const shadowed = await app.inject({ method: "PATCH", url: "/things/search", payload: { name: "x" } });
    expect([shadowed.statusCode, shadowed.headers.allow]).toEqual([405, "GET, HEAD"]);
    const patched = await app.inject({ method: "PATCH", url: "/things/7", payload: { name: "x" } });
    expect([patched.statusCode, patched.json()]).toEqual([200, { name: "x" }]);
    const search = await app.inject({ method: "GET", url: "/things/search/" });
    expect([search.statusCode, search.json()]).toEqual([200, { found: [] }]);
    await app.close();
  });

  it("counts requests by method, route template and status for Prometheus", async () => {
    const { app } = await service();
    await app.inject({ method: "GET", url: "/things/7" });
    await app.inject({ method: "GET", url: "/nothing" });
    const metrics = await app.inject({ method: "GET", url: "/metrics" });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
    const lines = metrics.body.split("\n");
    expect(lines).toContain(
      "# HELP http_request_duration_seconds HTTP request duration by method, route and status",
    );
    expect(lines).toContain(
      'http_request_duration_seconds_count{method="GET",route="/things/:id",status_code="200"} 1',
    );
    expect(lines).toContain(
      'http_request_duration_seconds_count{method="GET",route="unmatched",status_code="404"} 1',
    );
    const buckets = lines
      .filter(
        (l) => l.startsWith('http_request_duration_seconds_bucket{le="') && l.includes('route="/things/:id"'),
      )
      .map((l) => /le="([^"]+)"/.exec(l)?.[1]);
    // Durations are observed in seconds: a quick request is within the 2.5 s bucket.
    expect(lines).toContain(
      'http_request_duration_seconds_bucket{le="2.5",method="GET",route="/things/:id",status_code="200"} 1',
    );
    expect(buckets).toEqual([
      "0.001",
      "0.0025",
      "0.005",
      "0.01",
      "0.025",
      "0.05",
      "0.1",
      "0.25",
      "0.5",
      "1",
      "2.5",
      "+Inf",
    ]);
    // The default process metrics are there too.
    expect(lines.some((l) => l.startsWith("process_cpu_user_seconds_total"))).toBe(true);
    await app.close();
  });

  it("documents itself as OpenAPI 3.1, probes included, metrics and the document itself hidden", async () => {
    const { app } = await service();
    const doc = (await app.inject({ method: "GET", url: "/openapi.json" })).json();
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info).toEqual({ title: "thing-service", version: "1.2.3", description: "Things, for tests." });
    expect(doc.components.securitySchemes).toEqual({
      bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
    });
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/by-id/{id}",
      "/healthz",
      "/readyz",
      "/tagged",
      "/things",
      "/things/search",
      "/things/{id}",
    ]);
    expect(doc.paths["/healthz"].get).toMatchObject({ tags: ["probes"], summary: "Liveness" });
    expect(doc.paths["/readyz"].get).toMatchObject({
      tags: ["probes"],
      summary: "Readiness: every dependency reachable",
    });
    expect(doc.paths["/readyz"].get.responses["503"].content["application/json"].schema).toEqual({
      type: "object",
      properties: {
        status: { type: "string", enum: ["ready", "not_ready"] },
        checks: { type: "object", additionalProperties: { type: "string" } },
      },
      required: ["status", "checks"],
    });
    expect(doc.paths["/healthz"].get.responses["200"].content["application/json"].schema).toEqual({
      type: "object",
      properties: { status: { type: "string" } },
      required: ["status"],
    });
    expect(doc.components.schemas.ErrorResponse.description).toBe("The error shape of every Azora service");
    await app.close();
  });
});

describe("running a service", () => {
  it("listens on every interface and, on SIGTERM, drains, closes its dependencies and exits 0 once", async () => {
    const handlers = new Map<string, () => void>();
    vi.spyOn(process, "on").mockImplementation(((event: string, handler: () => void) => {
      handlers.set(event, handler);
      return process;
    }) as typeof process.on);
    const exited = new Promise<number | undefined>((resolve) => {
      vi.spyOn(process, "exit").mockImplementation(((code?: number) => resolve(code)) as typeof process.exit);
    });
    const { app, logs } = await service();
    const onClose = vi.fn(async () => undefined);
    await runService(app, { port: 0, graceMs: 5_000, onClose });
    const address = app.server.address();
    expect(typeof address === "object" && address ? [address.address, address.port > 0] : address).toEqual([
      "0.0.0.0",
      true,
    ]);
    expect([...handlers.keys()]).toEqual(["SIGTERM", "SIGINT"]);
    handlers.get("SIGTERM")?.();
    handlers.get("SIGINT")?.();
    expect(await exited).toBe(0);
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(app.server.listening).toBe(false);
    const said = logs.filter(
      (l) => !("req" in l) && !("res" in l) && !/^Server listening/.test(String(l.msg)),
    );
    expect(said.map((l) => [l.level, l.msg, l.signal])).toEqual([
      [30, "shutting down: draining in-flight requests", "SIGTERM"],
      [30, "stopped", undefined],
    ]);
  });

  it("on SIGINT too; exits 1 when draining takes longer than the grace period", async () => {
    vi.spyOn(process, "on").mockImplementation((() => process) as unknown as typeof process.on);
    const handlers: (() => void)[] = [];
    (process.on as unknown as ReturnType<typeof vi.fn>).mockImplementation(
      (_: string, handler: () => void) => {
        handlers.push(handler);
        return process;
      },
    );
    const codes: (number | undefined)[] = [];
    vi.spyOn(process, "exit").mockImplementation(((code?: number) => {
      codes.push(code);
    }) as typeof process.exit);
    const { app, logs } = await service();
    await runService(app, { port: 0, graceMs: 100, onClose: () => new Promise(() => undefined) });
    handlers[1]?.();
    await new Promise((r) => setTimeout(r, 400));
    expect(codes).toEqual([1]);
    expect(logs.filter((l) => l.signal !== undefined).map((l) => [l.msg, l.signal])).toEqual([
      ["shutting down: draining in-flight requests", "SIGINT"],
    ]);
    expect(logs.filter((l) => l.level === 50).map((l) => l.msg)).toEqual([
      "in-flight requests did not finish within the grace period; exiting",
    ]);
    await app.close();
  });
});
