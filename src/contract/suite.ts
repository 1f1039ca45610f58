import { randomUUID } from "node:crypto";
import { loadContract, type Operation } from "./openapi.ts";

/**
 * The contract suite: a user's journey through the whole platform (sign up, log in, refresh, log
 * out, create and search courses, enroll) plus the documented failures (404, 409, 400, 401, 422),
 * over real HTTP against a running environment. Every response is checked against the service's
 * committed OpenAPI document and against the status the step expects; at the end, every operation
 * of every document must have been exercised.
 */

export const SERVICES = ["user-service", "session-service", "course-service", "enrollment-service"] as const;
export type Service = (typeof SERVICES)[number];

export interface Call {
  service: Service;
  method: string;
  url: string;
  expected: number;
  status: number;
  ms: number;
  problems: string[];
  /** The documented operation the answer was checked against (`GET /users/{id}`), when one matched. */
  operation?: string;
}

export interface ContractReport {
  calls: Call[];
  /** Operations of the documents no call exercised. */
  uncovered: { service: Service; operation: Operation }[];
}

/**
 * How the suite reaches the services: `direct` to each one's own port, or through the gateway,
 * which routes `/api/<name>...` to each service's `/<name>...`, asks for a session token on
 * everything but sign-up and login, and routes nothing else (health, readiness and the internal
 * credential check stay inside the cluster).
 */
export type Route = "direct" | "gateway";

/** Operations the gateway does not route: exercised only directly. */
export const NOT_ROUTED = new Set(["GET /healthz", "GET /readyz", "POST /internal/credentials/verify"]);

export async function runContractSuite(
  /** Base URL of each service: its own address (direct), or the gateway's `/api` for all four. */
  targets: Record<Service, string>,
  onCall: (call: Call) => void = () => undefined,
  route: Route = "direct",
): Promise<ContractReport> {
  const routed = (operation: string) => route === "direct" || !NOT_ROUTED.has(operation);
  const contracts = new Map(SERVICES.map((s) => [s, loadContract(s)]));
  const covered = new Map(SERVICES.map((s) => [s, new Set<string>()]));
  const calls: Call[] = [];

  async function call(
    service: Service,
    method: string,
    url: string,
    expected: number,
    options: { body?: unknown; token?: string } = {},
    // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked against the document, then read
  ): Promise<any> {
    const began = performance.now();
    const headers: Record<string, string> = {};
    if (options.body !== undefined) headers["content-type"] = "application/json";
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const problems: string[] = [];
    let status = 0;
    let body: unknown;
    let operation: string | undefined;
    try {
      const response = await fetch(`${targets[service].replace(/\/$/, "")}${url}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(10_000),
      });
      status = response.status;
      const text = await response.text();
      body = text ? JSON.parse(text) : undefined;
    } catch (error) {
      problems.push(`${method} ${url}: ${(error as Error).message}`);
    }
    if (status !== 0) {
      const result = (contracts.get(service) as ReturnType<typeof loadContract>).check(
        method,
        url,
        status,
        body,
      );
      problems.push(...result.problems);
      if (result.operation) operation = `${result.operation.method} ${result.operation.template}`;
      if (status !== expected)
        problems.push(`${method} ${url}: expected ${expected}, got ${status}: ${JSON.stringify(body)}`);
      // Exercised means answered as documented and as expected.
      if (operation && problems.length === 0) covered.get(service)?.add(operation);
    }
    const record: Call = {
      service,
      method,
      url,
      expected,
      status,
      ms: performance.now() - began,
      problems,
      ...(operation ? { operation } : {}),
    };
    calls.push(record);
    onCall(record);
    return body;
  }

  if (routed("GET /healthz"))
    for (const service of SERVICES) {
      await call(service, "GET", "/healthz", 200);
      await call(service, "GET", "/readyz", 200);
    }

  // Users, and the internal credentials check the session service relies on.
  const email = `contract-${randomUUID()}@example.test`;
  const password = `pw-${randomUUID()}`;
  const user = await call("user-service", "POST", "/users", 201, {
    body: { email, password, displayName: "Contract Suite" },
  });
  const userId = String(user?.id ?? "");
  await call("user-service", "POST", "/users", 409, { body: { email, password, displayName: "Again" } });
  await call("user-service", "POST", "/users", 400, { body: { email } });
  // Everything past sign-up and login carries a session token (the gateway asks for one).
  const login = async () =>
    String(
      (await call("session-service", "POST", "/sessions", 201, { body: { email, password } }))?.token ?? "",
    );
  let auth = { token: await login() };
  await call("user-service", "GET", `/users/${userId}`, 200, auth);
  await call("user-service", "GET", `/users/${randomUUID()}`, 404, auth);
  await call("user-service", "GET", "/users?limit=5", 200, auth);
  await call("user-service", "PATCH", `/users/${userId}`, 200, {
    ...auth,
    body: { displayName: "Contract Suite 2" },
  });
  if (routed("POST /internal/credentials/verify")) {
    await call("user-service", "POST", "/internal/credentials/verify", 200, { body: { email, password } });
    await call("user-service", "POST", "/internal/credentials/verify", 401, {
      body: { email, password: "wrong" },
    });
  }

  // Sessions: log in, read, refresh (the old token is revoked), log out.
  await call("session-service", "POST", "/sessions", 401, { body: { email, password: "wrong" } });
  const session = await call("session-service", "POST", "/sessions", 201, { body: { email, password } });
  const token = String(session?.token ?? "");
  await call("session-service", "GET", "/sessions/current", 200, { token });
  const refreshed = await call("session-service", "POST", "/sessions/refresh", 200, { token });
  const newToken = String(refreshed?.token ?? "");
  await call("session-service", "GET", "/sessions/current", 401, { token });
  await call("session-service", "DELETE", "/sessions/current", 204, { token: newToken });
  await call("session-service", "GET", "/sessions/current", 401, { token: newToken });
  auth = { token: await login() };

  // Courses, with semantic search over their embeddings.
  const course = await call("course-service", "POST", "/courses", 201, {
    ...auth,
    body: {
      title: "Contract testing in practice",
      description: "OpenAPI, schemas and real HTTP",
      tags: ["testing"],
    },
  });
  const courseId = String(course?.id ?? "");
  await call("course-service", "POST", "/courses", 400, { ...auth, body: { title: "" } });
  await call("course-service", "GET", `/courses/${courseId}`, 200, auth);
  await call("course-service", "GET", `/courses/${randomUUID()}`, 404, auth);
  await call("course-service", "GET", "/courses?limit=5", 200, auth);
  await call("course-service", "GET", "/courses/search?q=contract%20testing&limit=5", 200, auth);
  await call("course-service", "PATCH", `/courses/${courseId}`, 200, {
    ...auth,
    body: { tags: ["testing", "openapi"] },
  });

  // Enrollments: idempotent (201 then 200), unknown references refused.
  await call("enrollment-service", "POST", "/enrollments", 201, { ...auth, body: { userId, courseId } });
  await call("enrollment-service", "POST", "/enrollments", 200, { ...auth, body: { userId, courseId } });
  await call("enrollment-service", "POST", "/enrollments", 422, {
    ...auth,
    body: { userId: randomUUID(), courseId },
  });
  await call("enrollment-service", "GET", `/enrollments?userId=${userId}`, 200, auth);
  await call("enrollment-service", "DELETE", `/enrollments/${userId}/${courseId}`, 204, auth);

  // Clean up what the suite created.
  await call("course-service", "DELETE", `/courses/${courseId}`, 204, auth);
  await call("user-service", "DELETE", `/users/${userId}`, 204, auth);

  const uncovered = SERVICES.flatMap((service) =>
    (contracts.get(service)?.operations ?? [])
      .filter((op) => routed(`${op.method} ${op.template}`))
      .filter((op) => !covered.get(service)?.has(`${op.method} ${op.template}`))
      .map((operation) => ({ service, operation })),
  );
  return { calls, uncovered };
}
