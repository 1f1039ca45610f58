import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  type GatewayCheck,
  type GatewayCheckOptions,
  runGatewayChecks,
  signJwt,
} from "../../src/contract/gateway-checks.ts";

// The gateway checks driven against a scripted gateway: fetch is replaced by an in-memory gateway
// that answers as Tyk with Azora's definitions does, or, per test, gets one thing wrong, so that
// each check is seen both passing and failing without a running environment.

type Fault =
  | "every token accepted"
  | "signature not checked"
  | "expiry not checked"
  | "logged-out token accepted"
  | "no rate limit"
  | "rate limit answers 500"
  | "a request lost in the burst"
  | "no Retry-After"
  | "session check fails open"
  | "session check answered slowly"
  | "internal route exposed"
  | "catch-all route"
  | "dead backend answered slowly";

const GATEWAY = "http://gateway.test:8080/";
const SECRET = "signing-secret";
const ISSUER = "azora-session-service";
const RATE = 100; // requests per token per window, as the default policy allows
const BREAKER_REFUSALS = 2; // answers still refused after a backend returns, until the breaker closes

function scriptedGateway(faults: ReadonlySet<Fault>) {
  const users = new Map<string, { email: string; password: string }>();
  const sessions = new Map<string, string>(); // jti -> user id, as session-service keeps them in Redis
  const down = new Set<string>();
  const counts = new Map<string, number>();
  let breakerRefusals = 0;
  let burstRequests = 0;

  const answer = (status: number, body?: unknown, headers: Record<string, string> = {}) =>
    new Response(body === undefined ? null : typeof body === "string" ? body : JSON.stringify(body), {
      status,
      headers,
    });
  const slowly = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const now = () => Math.floor(Date.now() / 1000);

  /** Tyk's JWT middleware, then the session-check plugin: the user id, or why the token is refused. */
  function authenticate(token: string): { user: string } | { refused: string } {
    if (faults.has("every token accepted")) return { user: "u1" };
    const [head = "", body = "", signature = ""] = token.split(".");
    const claims = JSON.parse(Buffer.from(body, "base64url").toString() || "{}");
    if (!faults.has("signature not checked") && signJwt(claims, SECRET) !== `${head}.${body}.${signature}`)
      return { refused: "Key not authorised" };
    if (!faults.has("expiry not checked") && !(claims.exp > now())) return { refused: "Key has expired" };
    if (claims.iss !== ISSUER || sessions.get(claims.jti) !== claims.sub) return { refused: "session ended" };
    return { user: claims.sub };
  }

  async function handle(method: string, path: string, headers: Headers, body: string | undefined) {
    const token = headers.get("authorization")?.replace(/^Bearer /, "");
    const route = `${method} ${path.replace(/\?.*/, "")}`;
    // The services read JSON bodies only (Fastify answers 415 to any other type).
    if (body !== undefined && headers.get("content-type") !== "application/json") return answer(415);
    if (route === "POST /api/users" && !token) {
      const { email, password, displayName } = JSON.parse(body ?? "{}");
      const valid =
        /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email) && password.length >= 8 && displayName.length >= 1;
      if (!valid) return answer(400, { error: "body does not match the schema" });
      const id = `u${users.size + 1}`;
      users.set(id, { email, password });
      return answer(201, { id, email });
    }
    if (route === "POST /api/sessions") {
      const { email, password } = JSON.parse(body ?? "{}");
      const id = [...users.entries()].find(([, u]) => u.email === email && u.password === password)?.[0];
      if (id === undefined) return answer(401);
      const jti = randomUUID();
      sessions.set(jti, id);
      return answer(201, { token: signJwt({ sub: id, jti, iss: ISSUER, exp: now() + 900 }, SECRET) });
    }
    if (route === "POST /api/internal/credentials/verify") {
      if (!faults.has("internal route exposed")) return answer(404);
      const { email, password } = JSON.parse(body ?? "{}");
      const id = [...users.entries()].find(([, u]) => u.email === email && u.password === password)?.[0];
      return id === undefined ? answer(401) : answer(200, { userId: id });
    }
    if (!/^\/api\/(users|sessions|courses|enrollments)(\/|\?|$)/.test(path))
      return faults.has("catch-all route")
        ? answer(
            200,
            `<!doctype html><html><head><title>Azora</title></head><body>${"<p>welcome</p>".repeat(30)}</body></html>`,
          )
        : answer(404);
    if (!token) return answer(401, { error: "Authorization field missing" });
    const who = authenticate(token);
    if ("refused" in who) return answer(401, { error: who.refused });
    if (route === "POST /api/courses" && (body?.length ?? 0) > 65_536) return answer(413);
    if (route === "GET /api/courses") {
      const count = (counts.get(token) ?? 0) + 1;
      counts.set(token, count);
      if (faults.has("a request lost in the burst") && ++burstRequests === 10) return answer(502);
      if (count > RATE && faults.has("rate limit answers 500")) return answer(500);
      if (count > RATE && !faults.has("no rate limit"))
        return answer(429, undefined, faults.has("no Retry-After") ? {} : { "retry-after": "1" });
      return answer(200, []);
    }
    if (path.startsWith("/api/enrollments")) {
      if (down.has("enrollment-service")) {
        if (faults.has("dead backend answered slowly")) await slowly(2_200);
        breakerRefusals = BREAKER_REFUSALS;
        return answer(503);
      }
      if (breakerRefusals > 0) {
        breakerRefusals--;
        return answer(503);
      }
      return answer(200, []);
    }
    if (down.has("session-service")) {
      if (faults.has("session check answered slowly")) await slowly(2_200);
      if (!faults.has("session check fails open")) return answer(503);
    }
    if (route === "DELETE /api/sessions/current") {
      if (!faults.has("logged-out token accepted"))
        sessions.delete(JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()).jti);
      return answer(204);
    }
    if (route === `DELETE /api/users/${who.user}`) return answer(204);
    if (route === `GET /api/users/${who.user}`) return answer(200, { id: who.user });
    if (route === "GET /api/users") return answer(200, []);
    return answer(404);
  }

  vi.stubGlobal("fetch", async (url: string, init: RequestInit = {}) => {
    const { pathname, search, origin } = new URL(url);
    expect(`${origin}/`).toBe(GATEWAY);
    return handle(
      init.method ?? "GET",
      `${pathname}${search}`,
      new Headers(init.headers),
      init.body as string,
    );
  });
  const outage: GatewayCheckOptions["outage"] = async (workload) => ({
    stop: async () => void down.add(workload),
    start: async () => void down.delete(workload),
  });
  return { outage };
}

const run = (
  faults: Fault[],
  options: Partial<GatewayCheckOptions> = {},
  onCheck?: (c: GatewayCheck) => void,
) =>
  runGatewayChecks(
    {
      gateway: GATEWAY,
      signingSecret: SECRET,
      // Each answer must come within the timeout plus 2 s: far above what an in-memory answer
      // takes however busy the machine, and a limit that a sign slip (minus 2 s) would break.
      upstreamTimeoutMs: 1_000,
      sessionCheckTimeoutMs: 1_000,
      outage: scriptedGateway(new Set(faults)).outage,
      ...options,
    },
    onCheck,
  );

const failing = (checks: GatewayCheck[]) =>
  checks.filter((c) => c.problems.length > 0).map((c) => [c.check, ...c.problems]);

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("the gateway checks", () => {
  it("pass every check against a gateway that answers as ours does, in this order, each reported as it ends", async () => {
    const streamed: GatewayCheck[] = [];
    const { checks, skipped } = await run([], {}, (c) => streamed.push(c));
    expect(skipped).toEqual([]);
    expect(checks.map((c) => `${c.check}: ${c.method} ${c.path.replace(/u1/, "ID")} -> ${c.status}`)).toEqual(
      [
        "sign-up without a token: POST /api/users -> 201",
        "login without a token: POST /api/sessions -> 201",
        "no token: GET /api/users?limit=1 -> 401",
        "a token signed with another key: GET /api/users?limit=1 -> 401",
        "the session's claims under the given secret: GET /api/users?limit=1 -> 200",
        "an expired token: GET /api/users?limit=1 -> 401",
        "a valid token: GET /api/users/ID -> 200",
        "unknown route: GET /api/nope -> 404",
        "the internal credential check is not routed: POST /api/internal/credentials/verify -> 404",
        "a route that only starts like an API: GET /api/usersX -> 404",
        "a body over the size limit: POST /api/courses -> 413",
        "a backend that does not answer: GET /api/enrollments?userId=ID -> 503",
        "the backend answering again: GET /api/enrollments?userId=ID -> 200",
        "a session that cannot be checked: GET /api/users/ID -> 503",
        "the session checked again: GET /api/users/ID -> 200",
        "the per-user rate limit: GET /api/courses?limit=1 -> 429",
        "login without a token: POST /api/sessions -> 201",
        "logout: DELETE /api/sessions/current -> 204",
        "a logged-out token: GET /api/users/ID -> 401",
        "login without a token: POST /api/sessions -> 201",
        "remove the checks' user: DELETE /api/users/ID -> 204",
      ],
    );
    expect(failing(checks)).toEqual([]);
    expect(streamed).toEqual(checks);
    expect(checks.find((c) => c.check === "the per-user rate limit")).toEqual({
      check: "the per-user rate limit",
      method: "GET",
      path: "/api/courses?limit=1",
      expected: [429],
      status: 429,
      ms: expect.any(Number),
      problems: [],
      note: "after 250 requests; Retry-After 1",
    });
  });

  it("skips, saying why, what it has no means for", async () => {
    const { checks, skipped } = await run([], { signingSecret: undefined, outage: undefined });
    expect(skipped).toEqual([
      "an expired token: no signing secret given",
      "a backend that does not answer: no way to stop one was given",
      "a session that cannot be checked: no way to stop session-service was given",
    ]);
    expect(failing(checks)).toEqual([]);
    expect(checks).toHaveLength(15);
  });

  it.each([
    [
      "every token accepted",
      [
        [
          "a token signed with another key",
          expect.stringMatching(/^GET \/api\/users\?limit=1: expected 401 or 403, got 200/),
        ],
        ["an expired token", expect.stringMatching(/^GET \/api\/users\?limit=1: expected 401, got 200/)],
        ["a logged-out token", expect.stringMatching(/^GET \/api\/users\/u1: expected 401, got 200/)],
      ],
    ],
    [
      "signature not checked",
      [
        [
          "a token signed with another key",
          expect.stringMatching(/^GET \/api\/users\?limit=1: expected 401 or 403, got 200/),
        ],
      ],
    ],
    [
      "expiry not checked",
      [["an expired token", expect.stringMatching(/^GET \/api\/users\?limit=1: expected 401, got 200/)]],
    ],
    [
      "logged-out token accepted",
      [["a logged-out token", expect.stringMatching(/^GET \/api\/users\/u1: expected 401, got 200/)]],
    ],
    ["no rate limit", [["the per-user rate limit", "no 429 after 750 requests from one user (last: 200)"]]],
    // A limiter that fails otherwise is reported at once, with what it answered.
    [
      "rate limit answers 500",
      [["the per-user rate limit", "no 429 after 250 requests from one user (last: 500)"]],
    ],
    // One request failing before the limit bites does not hide the 429s after it.
    ["a request lost in the burst", []],
    [
      "session check fails open",
      [
        [
          "a session that cannot be checked",
          expect.stringMatching(/^GET \/api\/users\/u1: expected 503, got 200/),
        ],
      ],
    ],
    [
      "internal route exposed",
      [
        [
          "the internal credential check is not routed",
          'POST /api/internal/credentials/verify: expected 404, got 200: {"userId":"u1"}',
        ],
      ],
    ],
  ] as const)("fails the check a gateway breaks: %s", async (fault, expected) => {
    const { checks } = await run([fault]);
    expect(failing(checks)).toEqual(expected);
  });

  it("quotes at most 200 characters of an unexpected answer", async () => {
    const { checks } = await run(["catch-all route"]);
    const page = `<!doctype html><html><head><title>Azora</title></head><body>${"<p>welcome</p>".repeat(30)}</body></html>`;
    expect(failing(checks)).toEqual([
      ["unknown route", `GET /api/nope: expected 404, got 200: ${page.slice(0, 200)}`],
      [
        "a route that only starts like an API",
        `GET /api/usersX: expected 403 or 404, got 200: ${page.slice(0, 200)}`,
      ],
    ]);
  });

  it("notes a 429 that came without Retry-After", async () => {
    const { checks } = await run(["no Retry-After"]);
    expect(failing(checks)).toEqual([]);
    expect(checks.find((c) => c.check === "the per-user rate limit")?.note).toBe(
      "after 250 requests; Retry-After not sent",
    );
  });

  it("fails the expired-token check's control when the secret given is not the gateway's", async () => {
    const { checks } = await run([], { signingSecret: "another-secret" });
    expect(failing(checks)).toEqual([
      [
        "the session's claims under the given secret",
        expect.stringMatching(/^GET \/api\/users\?limit=1: expected 200, got 401/),
      ],
    ]);
  });

  it.each([
    [
      "dead backend answered slowly",
      "upstreamTimeoutMs",
      "a backend that does not answer",
      "/api/enrollments?userId=u1",
    ],
    [
      "session check answered slowly",
      "sessionCheckTimeoutMs",
      "a session that cannot be checked",
      "/api/users/u1",
    ],
  ] as const)("fails an answer later than its timeout allows: %s", async (fault, timeout, check, path) => {
    const { checks } = await run([fault], { [timeout]: 100 });
    expect(failing(checks)).toEqual([
      [
        check,
        expect.stringMatching(
          new RegExp(`^GET ${path.replace(/\?/, "\\?")}: answered after \\d+ ms, more than 2100 ms$`),
        ),
      ],
    ]);
  });

  it("reports every check as unanswered, promptly, when nothing answers", async () => {
    vi.stubGlobal("fetch", async () => {
      throw new TypeError("fetch failed");
    });
    const { checks } = await runGatewayChecks({
      gateway: GATEWAY,
      signingSecret: SECRET,
      upstreamTimeoutMs: 1_000,
      sessionCheckTimeoutMs: 1_000,
    });
    expect(checks[0]?.problems).toEqual(["POST /api/users: expected 201, got no answer: fetch failed"]);
    expect(checks.every((c) => c.status === 0 && c.problems.length > 0)).toBe(true);
    expect(Math.max(...checks.map((c) => c.ms))).toBeLessThan(5_000);
    expect(checks.find((c) => c.check === "the per-user rate limit")?.problems).toEqual([
      "no 429 after 250 requests from one user (last: 0)",
    ]);
  });

  it("signs tokens as session-service does (HS256, base64url)", () => {
    // Computed apart from this code (Python's hmac over the same header and claims).
    expect(signJwt({ sub: "u1" }, "k")).toBe(
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1MSJ9._EcUsalm3HB8fiInqvnvLgcAJUDMbPwG8idbTrQ9n_0",
    );
  });
});
