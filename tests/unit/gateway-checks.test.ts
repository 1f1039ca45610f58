import { afterEach, describe, expect, it, vi } from "vitest";
import { type GatewayCheckOptions, runGatewayChecks, signJwt } from "../../src/contract/gateway-checks.ts";

// The gateway checks driven against a scripted gateway: fetch is replaced by an in-memory gateway
// that answers as Tyk with Azora's definitions does, or, per test, gets one thing wrong, so that
// each check is seen both passing and failing without a running environment.

type Fault =
  | "forged token accepted"
  | "logged-out token accepted"
  | "no rate limit"
  | "session check fails open"
  | "internal route exposed"
  | "dead backend answered slowly";

const GATEWAY = "http://gateway.test:8080/";
const SECRET = "signing-secret";
const RATE = 100; // requests per token per window, as the default policy allows

function scriptedGateway(faults: ReadonlySet<Fault>) {
  const users = new Map<string, { email: string; password: string }>();
  const sessions = new Set<string>();
  const down = new Set<string>();
  const counts = new Map<string, number>();
  let issued = 0;

  const answer = (status: number, body?: unknown, headers: Record<string, string> = {}) =>
    new Response(body === undefined ? null : JSON.stringify(body), { status, headers });
  const slowly = (ms: number) => new Promise((r) => setTimeout(r, ms));

  async function handle(method: string, path: string, headers: Headers, body: string | undefined) {
    const token = headers.get("authorization")?.replace(/^Bearer /, "");
    const signedIn = token !== undefined && (sessions.has(token) || faults.has("forged token accepted"));
    const route = `${method} ${path.replace(/\?.*/, "")}`;
    if (route === "POST /api/users" && !token) {
      const { email, password } = JSON.parse(body ?? "{}");
      const id = `u${users.size + 1}`;
      users.set(id, { email, password });
      return answer(201, { id, email });
    }
    if (route === "POST /api/sessions") {
      const { email, password } = JSON.parse(body ?? "{}");
      if (![...users.values()].some((u) => u.email === email && u.password === password)) return answer(401);
      const issuedToken = `token-${++issued}`;
      sessions.add(issuedToken);
      return answer(201, { token: issuedToken });
    }
    if (route === "POST /api/internal/credentials/verify")
      return faults.has("internal route exposed") ? answer(200, { ok: true }) : answer(404);
    if (!/^\/api\/(users|sessions|courses|enrollments)(\/|\?|$)/.test(path)) return answer(404);
    if (!token) return answer(401, { error: "Authorization field missing" });
    if (!signedIn) return answer(401, { error: "Key not authorised" });
    if (route === "POST /api/courses" && (body?.length ?? 0) > 65_536) return answer(413);
    if (route === "GET /api/courses") {
      const count = (counts.get(token) ?? 0) + 1;
      counts.set(token, count);
      if (count > RATE && !faults.has("no rate limit")) return answer(429, undefined, { "retry-after": "1" });
      return answer(200, []);
    }
    if (path.startsWith("/api/enrollments")) {
      if (!down.has("enrollment-service")) return answer(200, []);
      if (faults.has("dead backend answered slowly")) await slowly(2_200);
      return answer(503);
    }
    if (down.has("session-service") && !faults.has("session check fails open")) return answer(503);
    if (route === "DELETE /api/sessions/current") {
      if (!faults.has("logged-out token accepted")) sessions.delete(token);
      return answer(204);
    }
    if (route === "DELETE /api/users/u1") return answer(204);
    if (route === "GET /api/users/u1") return answer(200, { id: "u1" });
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

const run = (faults: Fault[], options: Partial<GatewayCheckOptions> = {}) =>
  runGatewayChecks({
    gateway: GATEWAY,
    signingSecret: SECRET,
    // Far above what an in-memory answer takes, however busy the machine; one test narrows it.
    upstreamTimeoutMs: 10_000,
    sessionCheckTimeoutMs: 10_000,
    outage: scriptedGateway(new Set(faults)).outage,
    ...options,
  });

const failing = (checks: Awaited<ReturnType<typeof run>>["checks"]) =>
  checks.filter((c) => c.problems.length > 0).map((c) => [c.check, ...c.problems]);

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("the gateway checks", () => {
  it("pass every check against a gateway that answers as ours does, in this order", async () => {
    const { checks, skipped } = await run([]);
    expect(skipped).toEqual([]);
    expect(checks.map((c) => `${c.check}: ${c.method} ${c.path.replace(/u1/, "ID")} -> ${c.status}`)).toEqual(
      [
        "sign-up without a token: POST /api/users -> 201",
        "login without a token: POST /api/sessions -> 201",
        "no token: GET /api/users?limit=1 -> 401",
        "a token signed with another key: GET /api/users?limit=1 -> 401",
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
    const rate = checks.find((c) => c.check === "the per-user rate limit");
    expect(rate?.note).toBe("after 250 requests; Retry-After 1");
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
      "forged token accepted",
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
      "logged-out token accepted",
      [["a logged-out token", expect.stringMatching(/^GET \/api\/users\/u1: expected 401, got 200/)]],
    ],
    ["no rate limit", [["the per-user rate limit", "no 429 after 750 requests from one user (last: 200)"]]],
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
          expect.stringMatching(
            /^POST \/api\/internal\/credentials\/verify: expected 404, got 200: \{"ok":true\}/,
          ),
        ],
      ],
    ],
  ] as const)("fails the check a gateway breaks: %s", async (fault, expected) => {
    const { checks } = await run([fault]);
    expect(failing(checks)).toEqual(expected);
  });

  it("fails a dead backend answered later than the upstream timeout allows", async () => {
    const { checks } = await run(["dead backend answered slowly"], { upstreamTimeoutMs: 100 });
    expect(failing(checks)).toEqual([
      [
        "a backend that does not answer",
        expect.stringMatching(
          /^GET \/api\/enrollments\?userId=u1: answered after \d+ ms, more than 2100 ms$/,
        ),
      ],
    ]);
  });

  it("signs tokens as session-service does (HS256, base64url)", () => {
    // Computed apart from this code (Python's hmac over the same header and claims).
    expect(signJwt({ sub: "u1" }, "k")).toBe(
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1MSJ9._EcUsalm3HB8fiInqvnvLgcAJUDMbPwG8idbTrQ9n_0",
    );
  });
});
