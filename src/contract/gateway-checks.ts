import { createHmac, randomUUID } from "node:crypto";
import { jsonField } from "../http/json-field.ts";

/**
 * The gateway's own answers, checked against a running environment: what it does with no token, a
 * forged one, an expired one and a revoked one; routes it must not have; oversize bodies; the
 * per-user rate limit; and a backend that stops answering. Where Tyk versions differ (2.9.4 runs
 * here, 5 upstream) a check accepts each version's documented answer and records which it got.
 */

export interface GatewayCheck {
  check: string;
  method: string;
  path: string;
  /** The statuses that pass, e.g. [400, 401]. */
  expected: number[];
  status: number;
  ms: number;
  problems: string[];
  /** What was seen beyond the status (e.g. whether a Retry-After came). */
  note?: string;
}

export interface GatewayCheckOptions {
  /** The gateway's base URL (the LoadBalancer's). */
  gateway: string;
  /** The session service's signing secret, for an expired token (skipped without it, saying so). */
  signingSecret?: string;
  /**
   * Stops and restarts a workload (every replica), for the dead-upstream check (enrollment-service)
   * and the unanswered session check (session-service); each is skipped without it, saying so.
   */
  outage?: (workload: string) => Promise<Outage | undefined>;
  /** The gateway's upstream timeout: a dead backend must be answered within it plus slack. */
  upstreamTimeoutMs: number;
  /**
   * How long the gateway waits for session-service's answer on /api/users (its timeout_ms);
   * undefined where that API declares no session check, which the check then finds failing.
   */
  sessionCheckTimeoutMs: number | undefined;
}

export interface Outage {
  stop: () => Promise<void>;
  start: () => Promise<void>;
}

const b64url = (data: string | Buffer) => Buffer.from(data).toString("base64url");

/** The claims of a JWT, or {} when the text is not one (a login that failed). */
function claimsOf(token: string): Record<string, unknown> {
  try {
    return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()) as Record<
      string,
      unknown
    >;
  } catch {
    return {};
  }
}

/** An HS256 JWT as session-service makes them, for the expired and forged cases. */
export function signJwt(claims: Record<string, unknown>, secret: string): string {
  const head = `${b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${b64url(JSON.stringify(claims))}`;
  return `${head}.${b64url(createHmac("sha256", secret).update(head).digest())}`;
}

export async function runGatewayChecks(
  options: GatewayCheckOptions,
  onCheck: (check: GatewayCheck) => void = () => undefined,
): Promise<{ checks: GatewayCheck[]; skipped: string[] }> {
  const base = options.gateway.replace(/\/$/, "");
  const checks: GatewayCheck[] = [];
  const skipped: string[] = [];
  const json = { "content-type": "application/json" };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  async function send(method: string, path: string, headers: Record<string, string> = {}, body?: string) {
    const began = performance.now();
    try {
      const response = await fetch(`${base}${path}`, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(15_000),
      });
      const text = await response.text();
      return { status: response.status, headers: response.headers, text, ms: performance.now() - began };
    } catch (error) {
      return {
        status: 0,
        headers: new Headers(),
        text: (error as Error).message,
        ms: performance.now() - began,
      };
    }
  }
  async function expect(
    check: string,
    method: string,
    path: string,
    expected: number[],
    request: { headers?: Record<string, string>; body?: string; withinMs?: number } = {},
  ) {
    const answer = await send(method, path, request.headers, request.body);
    const problems: string[] = [];
    if (!expected.includes(answer.status))
      problems.push(
        `${method} ${path}: expected ${expected.join(" or ")}, got ${answer.status || "no answer"}: ${answer.text.slice(0, 200)}`,
      );
    if (request.withinMs !== undefined && answer.ms > request.withinMs)
      problems.push(
        `${method} ${path}: answered after ${Math.round(answer.ms)} ms, more than ${request.withinMs} ms`,
      );
    const result: GatewayCheck = {
      check,
      method,
      path,
      expected,
      status: answer.status,
      ms: answer.ms,
      problems,
    };
    checks.push(result);
    onCheck(result);
    return answer;
  }

  // A user of its own, and a session for it (sign-up and login are the public routes).
  const email = `gateway-${randomUUID()}@example.test`;
  const password = `pw-${randomUUID()}`;
  const signUp = await expect("sign-up without a token", "POST", "/api/users", [201], {
    headers: json,
    body: JSON.stringify({ email, password, displayName: "Gateway Checks" }),
  });
  const userId = jsonField(signUp.text, "id");
  const login = async () => {
    const answer = await expect("login without a token", "POST", "/api/sessions", [201], {
      headers: json,
      body: JSON.stringify({ email, password }),
    });
    return jsonField(answer.text, "token");
  };
  const token = await login();

  await expect("no token", "GET", "/api/users?limit=1", [400, 401]);
  // The live session's own claims, so that the one thing wrong with each token is the thing checked:
  // a session that still lives would let a gateway that skips the check through.
  const claims = claimsOf(token);
  await expect("a token signed with another key", "GET", "/api/users?limit=1", [401, 403], {
    headers: bearer(signJwt(claims, randomUUID())),
  });
  if (options.signingSecret) {
    // First the same claims under the given secret, accepted: with a wrong secret the expired
    // token would be refused for its signature, and that check would pass for the wrong reason.
    await expect("the session's claims under the given secret", "GET", "/api/users?limit=1", [200], {
      headers: bearer(signJwt(claims, options.signingSecret)),
    });
    const expired = signJwt({ ...claims, exp: Math.floor(Date.now() / 1000) - 60 }, options.signingSecret);
    await expect("an expired token", "GET", "/api/users?limit=1", [401], { headers: bearer(expired) });
  } else skipped.push("an expired token: no signing secret given");
  await expect("a valid token", "GET", `/api/users/${userId}`, [200], { headers: bearer(token) });
  await expect("unknown route", "GET", "/api/nope", [404]);
  await expect(
    "the internal credential check is not routed",
    "POST",
    "/api/internal/credentials/verify",
    [404],
    {
      headers: json,
      body: JSON.stringify({ email, password }),
    },
  );
  await expect("a route that only starts like an API", "GET", "/api/usersX", [403, 404], {
    headers: bearer(token),
  });
  await expect("a body over the size limit", "POST", "/api/courses", [400, 413], {
    headers: { ...json, ...bearer(token) },
    body: JSON.stringify({ title: "x", description: "y".repeat(70_000) }),
  });

  const backendOutage = await options.outage?.("enrollment-service");
  if (backendOutage) {
    const limit = options.upstreamTimeoutMs + 2_000;
    await backendOutage.stop();
    try {
      await expect(
        "a backend that does not answer",
        "GET",
        `/api/enrollments?userId=${userId}`,
        [500, 502, 503, 504],
        {
          headers: bearer(token),
          withinMs: limit,
        },
      );
    } finally {
      await backendOutage.start();
    }
    // Back in service once the backend answers again (its breaker half-opens by itself).
    const deadline = Date.now() + 20_000;
    let back = await send("GET", `/api/enrollments?userId=${userId}`, bearer(token));
    while (back.status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      back = await send("GET", `/api/enrollments?userId=${userId}`, bearer(token));
    }
    await expect("the backend answering again", "GET", `/api/enrollments?userId=${userId}`, [200], {
      headers: bearer(token),
    });
  } else skipped.push("a backend that does not answer: no way to stop one was given");

  // The session check fails closed: a session nobody can vouch for is refused, not let through.
  const sessionOutage = await options.outage?.("session-service");
  if (sessionOutage) {
    await sessionOutage.stop();
    try {
      await expect("a session that cannot be checked", "GET", `/api/users/${userId}`, [503], {
        headers: bearer(token),
        withinMs: (options.sessionCheckTimeoutMs ?? 0) + 2_000,
      });
    } finally {
      await sessionOutage.start();
    }
    await expect("the session checked again", "GET", `/api/users/${userId}`, [200], {
      headers: bearer(token),
    });
  } else skipped.push("a session that cannot be checked: no way to stop session-service was given");

  // The per-user rate limit: bursts from one identity, all sent at once so that more arrive within
  // the limit's window than it allows, whatever the machine's speed; until a 429 (or 3 bursts).
  let limited: Awaited<ReturnType<typeof send>> | undefined;
  let sent = 0;
  const BURST = 250;
  while (!limited && sent < 3 * BURST) {
    const burst = await Promise.all(
      Array.from({ length: BURST }, () => send("GET", "/api/courses?limit=1", bearer(token))),
    );
    sent += burst.length;
    limited = burst.find((a) => a.status === 429) ?? burst.find((a) => a.status !== 200);
  }
  const rate: GatewayCheck = {
    check: "the per-user rate limit",
    method: "GET",
    path: "/api/courses?limit=1",
    expected: [429],
    status: limited?.status ?? 200,
    ms: limited?.ms ?? 0,
    problems:
      limited?.status === 429
        ? []
        : [`no 429 after ${sent} requests from one user (last: ${limited?.status ?? 200})`],
    note: `after ${sent} requests; Retry-After ${limited?.headers.get("retry-after") ?? "not sent"}`,
  };
  checks.push(rate);
  onCheck(rate);

  // Revocation: a session logged out is refused, although its JWT is still within its expiry.
  await new Promise((r) => setTimeout(r, 1_100)); // the rate-limit window passes
  const second = await login();
  await expect("logout", "DELETE", "/api/sessions/current", [204], { headers: bearer(second) });
  await expect("a logged-out token", "GET", `/api/users/${userId}`, [401], { headers: bearer(second) });
  const third = await login();
  await expect("remove the checks' user", "DELETE", `/api/users/${userId}`, [204], {
    headers: bearer(third),
  });
  return { checks, skipped };
}
