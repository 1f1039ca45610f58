import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type Call, runContractSuite, SERVICES, type Service } from "../../src/contract/suite.ts";

// The contract suite driven against a fake platform: fetch is replaced by an in-memory copy of the
// four services that answers as their OpenAPI documents say (or, per test, breaks one answer), so
// what the suite sends, expects and reports can be pinned without a running environment.

// One base URL ends in a slash, as a user may write it: the suite must not double it.
const TARGETS: Record<Service, string> = {
  "user-service": "http://users.test:8001",
  "session-service": "http://sessions.test:8002",
  "course-service": "http://courses.test:8003/",
  "enrollment-service": "http://enrollments.test:8004",
};
const serviceAt = (url: URL) => SERVICES.find((s) => new URL(TARGETS[s]).host === url.host) as Service;

interface Sent {
  service: Service;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
  timeout: boolean;
}
type Answer = [status: number, body?: unknown];

const NOW = "2026-11-26T00:00:00.000Z";
const error = (code: string): Answer[1] => ({ error: { code, message: code, requestId: "r" } });

/** The platform as documented: just enough state for the suite's journey. */
function platform() {
  const users = new Map<string, { id: string; email: string; password: string; displayName: string }>();
  const sessions = new Map<string, string>(); // token -> userId
  const courses = new Map<string, { id: string; title: string; description: string; tags: string[] }>();
  const enrollments = new Set<string>();
  const user = (u: { id: string; email: string; displayName: string }) => ({
    id: u.id,
    email: u.email,
    displayName: u.displayName,
    createdAt: NOW,
    updatedAt: NOW,
  });
  const course = (c: object) => ({ ...c, createdAt: NOW, updatedAt: NOW });
  const session = (userId: string) => {
    const token = `token-${randomUUID()}`;
    sessions.set(token, userId);
    return { token, tokenType: "Bearer", sessionId: randomUUID(), userId, expiresAt: NOW };
  };
  return (
    service: Service,
    method: string,
    path: string,
    headers: Record<string, string>,
    // biome-ignore lint/suspicious/noExplicitAny: request bodies as the suite sends them, read field by field
    body: any,
  ): Answer => {
    if (path === "/healthz") return [200, { status: "ok" }];
    if (path === "/readyz") return [200, { status: "ready", checks: { postgres: "ok" } }];
    const token = headers.authorization?.replace(/^Bearer /, "") ?? "";
    const [, first, id, third] = path.split("/");
    const route = `${service} ${method} /${first}${id ? "/:id" : ""}${third ? "/:other" : ""}`;
    switch (route) {
      case "user-service POST /users": {
        if (!body.password || !body.displayName) return [400, error("validation_failed")];
        if ([...users.values()].some((u) => u.email === body.email)) return [409, error("email_taken")];
        const u = { id: randomUUID(), ...body };
        users.set(u.id, u);
        return [201, user(u)];
      }
      case "user-service GET /users":
        return [200, { items: [...users.values()].map(user), total: users.size, limit: 5, offset: 0 }];
      case "user-service GET /users/:id": {
        const u = users.get(id as string);
        return u ? [200, user(u)] : [404, error("not_found")];
      }
      case "user-service PATCH /users/:id": {
        const u = users.get(id as string);
        if (!u) return [404, error("not_found")];
        Object.assign(u, body);
        return [200, user(u)];
      }
      case "user-service DELETE /users/:id":
        return users.delete(id as string) ? [204] : [404, error("not_found")];
      case "user-service POST /internal/:id/:other": {
        const u = [...users.values()].find((x) => x.email === body.email && x.password === body.password);
        return u ? [200, { userId: u.id }] : [401, error("invalid_credentials")];
      }
      case "session-service POST /sessions": {
        const u = [...users.values()].find((x) => x.email === body.email && x.password === body.password);
        return u ? [201, session(u.id)] : [401, error("invalid_credentials")];
      }
      case "session-service GET /sessions/:id": {
        const userId = sessions.get(token);
        return userId
          ? [200, { sessionId: randomUUID(), userId, expiresAt: NOW }]
          : [401, error("unauthorized")];
      }
      case "session-service POST /sessions/:id": {
        const userId = sessions.get(token);
        if (!userId) return [401, error("unauthorized")];
        sessions.delete(token);
        return [200, session(userId)];
      }
      case "session-service DELETE /sessions/:id":
        return sessions.delete(token) ? [204] : [401, error("unauthorized")];
      case "course-service POST /courses": {
        if (!body.title) return [400, error("validation_failed")];
        const c = { id: randomUUID(), tags: [], ...body };
        courses.set(c.id, c);
        return [201, course(c)];
      }
      case "course-service GET /courses":
        return [200, { items: [...courses.values()].map(course), total: courses.size, limit: 5, offset: 0 }];
      case "course-service GET /courses/:id": {
        if (id === "search")
          return [200, { items: [...courses.values()].map((c) => ({ course: course(c), distance: 0.25 })) }];
        const c = courses.get(id as string);
        return c ? [200, course(c)] : [404, error("not_found")];
      }
      case "course-service PATCH /courses/:id": {
        const c = courses.get(id as string);
        if (!c) return [404, error("not_found")];
        Object.assign(c, body);
        return [200, course(c)];
      }
      case "course-service DELETE /courses/:id":
        return courses.delete(id as string) ? [204] : [404, error("not_found")];
      case "enrollment-service POST /enrollments": {
        if (!users.has(body.userId) || !courses.has(body.courseId)) return [422, error("unknown_reference")];
        const key = `${body.userId}/${body.courseId}`;
        const created = !enrollments.has(key);
        enrollments.add(key);
        return [created ? 201 : 200, { userId: body.userId, courseId: body.courseId, createdAt: NOW }];
      }
      case "enrollment-service GET /enrollments":
        return [200, { items: [], total: 0, limit: 20, offset: 0 }];
      case "enrollment-service DELETE /enrollments/:id/:other":
        return enrollments.delete(`${id}/${third}`) ? [204] : [404, error("not_found")];
    }
    throw new Error(`the fake platform has no ${route}`);
  };
}

/** Runs the suite against the platform, `change` deciding answers first where it returns one. */
async function suiteAgainst(
  change: (sent: Sent) => Answer | "fail" | undefined = () => undefined,
  route: "direct" | "gateway" = "direct",
): Promise<{ sent: Sent[]; calls: Call[]; report: Awaited<ReturnType<typeof runContractSuite>> }> {
  const answer = platform();
  const sent: Sent[] = [];
  vi.stubGlobal("fetch", async (input: string | URL, init: RequestInit) => {
    const url = new URL(String(input));
    const service = serviceAt(url);
    const body = init.body === undefined ? undefined : JSON.parse(String(init.body));
    const request: Sent = {
      service,
      method: String(init.method),
      path: `${url.pathname}${url.search}`,
      headers: { ...(init.headers as Record<string, string>) },
      body,
      timeout: init.signal instanceof AbortSignal,
    };
    sent.push(request);
    const changed = change(request);
    if (changed === "fail") throw new TypeError("fetch failed");
    const [status, payload] = changed ?? answer(service, request.method, url.pathname, request.headers, body);
    return new Response(payload === undefined ? null : JSON.stringify(payload), { status });
  });
  const calls: Call[] = [];
  const report = await runContractSuite(TARGETS, (call) => calls.push(call), route);
  return { sent, calls, report };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

const UUID = "[0-9a-f-]{36}";
/** A call's path with ids as placeholders, for comparing journeys. */
const shape = (c: { service: string; method: string; url: string; expected?: number }) =>
  `${c.service} ${c.method} ${c.url.replace(new RegExp(UUID, "g"), "ID")}${c.expected ? ` -> ${c.expected}` : ""}`;

describe("the contract suite", () => {
  it("walks a user's journey through the four services, each step expecting its documented status", async () => {
    const { calls, report } = await suiteAgainst();
    expect(report.calls).toEqual(calls);
    expect(report.calls.map(shape)).toEqual([
      "user-service GET /healthz -> 200",
      "user-service GET /readyz -> 200",
      "session-service GET /healthz -> 200",
      "session-service GET /readyz -> 200",
      "course-service GET /healthz -> 200",
      "course-service GET /readyz -> 200",
      "enrollment-service GET /healthz -> 200",
      "enrollment-service GET /readyz -> 200",
      "user-service POST /users -> 201",
      "user-service POST /users -> 409",
      "user-service POST /users -> 400",
      "session-service POST /sessions -> 201",
      "user-service GET /users/ID -> 200",
      "user-service GET /users/ID -> 404",
      "user-service GET /users?limit=5 -> 200",
      "user-service PATCH /users/ID -> 200",
      "user-service POST /internal/credentials/verify -> 200",
      "user-service POST /internal/credentials/verify -> 401",
      "session-service POST /sessions -> 401",
      "session-service POST /sessions -> 201",
      "session-service GET /sessions/current -> 200",
      "session-service POST /sessions/refresh -> 200",
      "session-service GET /sessions/current -> 401",
      "session-service DELETE /sessions/current -> 204",
      "session-service GET /sessions/current -> 401",
      "session-service POST /sessions -> 201",
      "course-service POST /courses -> 201",
      "course-service POST /courses -> 400",
      "course-service GET /courses/ID -> 200",
      "course-service GET /courses/ID -> 404",
      "course-service GET /courses?limit=5 -> 200",
      "course-service GET /courses/search?q=contract%20testing&limit=5 -> 200",
      "course-service PATCH /courses/ID -> 200",
      "enrollment-service POST /enrollments -> 201",
      "enrollment-service POST /enrollments -> 200",
      "enrollment-service POST /enrollments -> 422",
      "enrollment-service GET /enrollments?userId=ID -> 200",
      "enrollment-service DELETE /enrollments/ID/ID -> 204",
      "course-service DELETE /courses/ID -> 204",
      "user-service DELETE /users/ID -> 204",
    ]);
    for (const call of report.calls) {
      expect(call.problems, shape(call)).toEqual([]);
      expect(call.status).toBe(call.expected);
      expect(call.ms).toBeGreaterThanOrEqual(0);
      expect(call.ms).toBeLessThan(10_000);
    }
    // Every operation of every document was exercised.
    expect(report.uncovered).toEqual([]);
  });

  it("through the gateway, calls nothing the gateway does not route, and does not count it unexercised", async () => {
    const direct = (await suiteAgainst()).report.calls.map(shape);
    const { report } = await suiteAgainst(() => undefined, "gateway");
    const notRouted = /GET \/healthz|GET \/readyz|POST \/internal\/credentials\/verify/;
    expect(report.calls.map(shape)).toEqual(direct.filter((c) => !notRouted.test(c)));
    expect(direct.length - report.calls.length).toBe(10);
    expect(report.uncovered).toEqual([]);
    // And a routed operation left out still counts.
    const { report: partial } = await suiteAgainst(
      (sent) => (sent.method === "PATCH" && sent.path.startsWith("/courses/") ? [500, {}] : undefined),
      "gateway",
    );
    expect(
      partial.uncovered.map((u) => `${u.service} ${u.operation.method} ${u.operation.template}`),
    ).toEqual(["course-service PATCH /courses/{id}"]);
  });

  it("sends JSON bodies, the bearer token and a timeout, and follows the ids it was given", async () => {
    const { sent } = await suiteAgainst();
    for (const s of sent) {
      expect(s.timeout).toBe(true);
      expect(s.headers["content-type"]).toBe(s.body === undefined ? undefined : "application/json");
    }
    const [signUp] = sent.filter((s) => s.method === "POST" && s.path === "/users");
    expect(signUp?.body).toEqual({
      email: expect.stringMatching(new RegExp(`^contract-${UUID}@example\\.test$`)),
      password: expect.stringMatching(new RegExp(`^pw-${UUID}$`)),
      displayName: "Contract Suite",
    });
    const { email, password } = (signUp?.body ?? {}) as { email: string; password: string };
    const userId = sent.find((s) => s.method === "GET" && s.path.startsWith("/users/"))?.path.slice(7);
    expect(sent.filter((s) => s.service === "user-service").map((s) => [s.method, s.path, s.body])).toEqual([
      ["GET", "/healthz", undefined],
      ["GET", "/readyz", undefined],
      ["POST", "/users", { email, password, displayName: "Contract Suite" }],
      ["POST", "/users", { email, password, displayName: "Again" }],
      ["POST", "/users", { email }],
      ["GET", `/users/${userId}`, undefined],
      ["GET", expect.stringMatching(new RegExp(`^/users/${UUID}$`)), undefined],
      ["GET", "/users?limit=5", undefined],
      ["PATCH", `/users/${userId}`, { displayName: "Contract Suite 2" }],
      ["POST", "/internal/credentials/verify", { email, password }],
      ["POST", "/internal/credentials/verify", { email, password: "wrong" }],
      ["DELETE", `/users/${userId}`, undefined],
    ]);
    const sessions = sent.filter((s) => s.service === "session-service" && s.path.startsWith("/sessions"));
    expect(sessions.map((s) => [s.method, s.path, s.body, s.headers.authorization?.slice(0, 13)])).toEqual([
      ["POST", "/sessions", { email, password }, undefined],
      ["POST", "/sessions", { email, password: "wrong" }, undefined],
      ["POST", "/sessions", { email, password }, undefined],
      ["GET", "/sessions/current", undefined, "Bearer token-"],
      ["POST", "/sessions/refresh", undefined, "Bearer token-"],
      ["GET", "/sessions/current", undefined, "Bearer token-"],
      ["DELETE", "/sessions/current", undefined, "Bearer token-"],
      ["GET", "/sessions/current", undefined, "Bearer token-"],
      ["POST", "/sessions", { email, password }, undefined],
    ]);
    // The refreshed token replaces the old one: the old one is refused, the new one logs out.
    const tokens = sessions.map((s) => s.headers.authorization);
    expect(tokens[3]).toBe(tokens[4]);
    expect(tokens[5]).toBe(tokens[3]);
    expect(tokens[6]).not.toBe(tokens[3]);
    expect(tokens[7]).toBe(tokens[6]);
    // Every call past sign-up carries a session: the first login's, then one made after logout.
    const bearer = (service: string) =>
      new Set(
        sent
          .filter((x) => x.service === service && !/^\/(healthz|readyz)$/.test(x.path))
          .map((x) => x.headers.authorization),
      );
    expect([...bearer("course-service")]).toHaveLength(1);
    expect([...bearer("course-service")][0]).toMatch(/^Bearer token-/);
    expect(bearer("enrollment-service")).toEqual(bearer("course-service"));
    const courses = sent.filter((s) => s.service === "course-service" && s.path.startsWith("/courses"));
    const courseId = courses.find((s) => s.method === "PATCH")?.path.slice(9);
    expect(courses.map((s) => [s.method, s.path, s.body])).toEqual([
      [
        "POST",
        "/courses",
        {
          title: "Contract testing in practice",
          description: "OpenAPI, schemas and real HTTP",
          tags: ["testing"],
        },
      ],
      ["POST", "/courses", { title: "" }],
      ["GET", `/courses/${courseId}`, undefined],
      ["GET", expect.not.stringMatching(`/courses/${courseId}`), undefined],
      ["GET", "/courses?limit=5", undefined],
      ["GET", "/courses/search?q=contract%20testing&limit=5", undefined],
      ["PATCH", `/courses/${courseId}`, { tags: ["testing", "openapi"] }],
      ["DELETE", `/courses/${courseId}`, undefined],
    ]);
    const enrollments = sent.filter(
      (s) => s.service === "enrollment-service" && s.path.startsWith("/enrollments"),
    );
    expect(enrollments.map((s) => [s.method, s.path, s.body])).toEqual([
      ["POST", "/enrollments", { userId, courseId }],
      ["POST", "/enrollments", { userId, courseId }],
      ["POST", "/enrollments", { userId: expect.not.stringMatching(userId as string), courseId }],
      ["GET", `/enrollments?userId=${userId}`, undefined],
      ["DELETE", `/enrollments/${userId}/${courseId}`, undefined],
    ]);
  });

  it("reports an unexpected status, an undocumented one, and the operation it leaves unexercised", async () => {
    const { report } = await suiteAgainst((s) =>
      s.method === "PATCH" && s.service === "course-service" ? [500, error("internal")] : undefined,
    );
    const broken = report.calls.filter((c) => c.problems.length > 0);
    expect(broken.map((c) => [shape(c), c.status])).toEqual([
      ["course-service PATCH /courses/ID -> 200", 500],
    ]);
    // The call is still filed under the operation it was made for.
    expect(broken[0]?.operation).toBe("PATCH /courses/{id}");
    expect(broken[0]?.problems).toEqual([
      "PATCH /courses/{id} does not document status 500",
      `PATCH ${broken[0]?.url}: expected 200, got 500: {"error":{"code":"internal","message":"internal","requestId":"r"}}`,
    ]);
    expect(report.uncovered).toEqual([
      { service: "course-service", operation: { method: "PATCH", template: "/courses/{id}" } },
    ]);
  });

  it("reports a documented status that was not the expected one", async () => {
    const { report } = await suiteAgainst((s) =>
      s.method === "DELETE" && s.service === "user-service" ? [404, error("not_found")] : undefined,
    );
    const broken = report.calls.filter((c) => c.problems.length > 0);
    expect(broken.map((c) => c.problems)).toEqual([
      [
        `DELETE ${broken[0]?.url}: expected 204, got 404: {"error":{"code":"not_found","message":"not_found","requestId":"r"}}`,
      ],
    ]);
    expect(report.uncovered).toEqual([
      { service: "user-service", operation: { method: "DELETE", template: "/users/{id}" } },
    ]);
  });

  it("reports a body that breaks the document, with the body", async () => {
    const { report } = await suiteAgainst((s) =>
      s.path === "/readyz" && s.service === "enrollment-service" ? [200, { status: "fine" }] : undefined,
    );
    const broken = report.calls.filter((c) => c.problems.length > 0);
    expect(broken.map(shape)).toEqual(["enrollment-service GET /readyz -> 200"]);
    expect(broken[0]?.problems).toHaveLength(1);
    expect(broken[0]?.problems[0]).toMatch(
      /^GET \/readyz 200: \[.*"must have required property 'checks'".*\]; body: \{"status":"fine"\}$/,
    );
    expect(report.uncovered).toEqual([
      { service: "enrollment-service", operation: { method: "GET", template: "/readyz" } },
    ]);
  });

  it("reports a service that does not answer, and everything of it left unexercised", async () => {
    const { report } = await suiteAgainst((s) => (s.service === "enrollment-service" ? "fail" : undefined));
    const broken = report.calls.filter((c) => c.problems.length > 0);
    expect(broken.map((c) => [shape(c), c.status])).toEqual([
      ["enrollment-service GET /healthz -> 200", 0],
      ["enrollment-service GET /readyz -> 200", 0],
      ["enrollment-service POST /enrollments -> 201", 0],
      ["enrollment-service POST /enrollments -> 200", 0],
      ["enrollment-service POST /enrollments -> 422", 0],
      ["enrollment-service GET /enrollments?userId=ID -> 200", 0],
      ["enrollment-service DELETE /enrollments/ID/ID -> 204", 0],
    ]);
    expect(broken[0]?.problems).toEqual(["GET /healthz: fetch failed"]);
    expect(report.uncovered.map((u) => `${u.service} ${u.operation.method} ${u.operation.template}`)).toEqual(
      [
        "enrollment-service GET /healthz",
        "enrollment-service GET /readyz",
        "enrollment-service POST /enrollments",
        "enrollment-service GET /enrollments",
        "enrollment-service DELETE /enrollments/{userId}/{courseId}",
      ],
    );
  });

  it("runs to the end when nothing answers, reporting every call and every operation", async () => {
    const { sent, report } = await suiteAgainst(() => "fail");
    expect(report.calls).toHaveLength(40);
    expect(report.calls.every((c) => c.status === 0 && c.problems.length === 1)).toBe(true);
    expect(report.calls.map((c) => c.problems[0])).toContain("POST /users: fetch failed");
    // Without answers there are no ids and no token: the steps that need them still run, empty.
    expect(report.calls.map((c) => `${c.method} ${c.url}`)).toEqual(
      expect.arrayContaining([
        "GET /users/",
        "PATCH /users/",
        "DELETE /users/",
        "GET /courses/",
        "PATCH /courses/",
        "DELETE /courses/",
        "GET /enrollments?userId=",
        "DELETE /enrollments//",
      ]),
    );
    expect(sent.filter((s) => s.headers.authorization !== undefined)).toEqual([]);
    expect(sent.find((s) => s.method === "POST" && s.path === "/enrollments")?.body).toEqual({
      userId: "",
      courseId: "",
    });
    expect(report.uncovered).toHaveLength(27);
  });
});
