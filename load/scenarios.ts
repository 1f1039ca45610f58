// The load scenarios, as data, once: the k6 scripts (load/k6/) and DevStack's own open-model runner
// (src/load/) both read them. Plain TypeScript with no Node or k6 imports, so either can load it.
import { SEED_PASSWORD } from "../src/seed/accounts.ts";
import { TOPICS } from "../src/seed/vocabulary.ts";

/** A service as its requests name it: direct, its own port and `/<service>/...`; through the gateway, `/api/<service>/...`. */
export type Service = "users" | "sessions" | "courses" | "enrollments";
export const SERVICES: readonly Service[] = ["users", "sessions", "courses", "enrollments"];

/**
 * One HTTP request of a flow. `{{name}}` in the path and body values is filled from the iteration's
 * values (see load/flows.ts): what the setup logged in and listed, what earlier requests captured.
 */
export interface RequestSpec {
  /** Names the request in metrics (the `step` tag) and in the report's tables. */
  step: string;
  service: Service;
  method: "GET" | "POST" | "DELETE";
  path: string;
  body?: Record<string, string>;
  /** Sends `Authorization: Bearer {{token}}`. */
  auth?: boolean;
  /** The statuses that are a success; any other counts in http_req_failed and fails the check. */
  expect: readonly number[];
  /** Values for later requests, read from top-level fields of the JSON answer: value name → field. */
  capture?: Record<string, string>;
}

/** What a virtual user does in one iteration; it stops at the first request that fails. */
export interface Flow {
  name: string;
  description: string;
  requests: readonly RequestSpec[];
}

export interface Stage {
  /** Iterations per second reached at the end of the stage (linearly from the one before). */
  target: number;
  /** k6 duration syntax: "30s", "1m", "1m30s". */
  duration: string;
}

/** When iterations start: k6's arrival-rate executors, open model (started on schedule, whatever is still running). */
export type Arrival =
  | { executor: "constant-arrival-rate"; rate: number; duration: string }
  | { executor: "ramping-arrival-rate"; startRate: number; stages: readonly Stage[] };

export interface Scenario {
  name: string;
  description: string;
  /** The flows it starts and each one's share of the arrivals (shares add up to 1). */
  mix: readonly { flow: string; share: number }[];
  /** Total iterations per second across the mix. */
  arrival: Arrival;
  /** Iterations running at once, at most (k6's maxVUs); an arrival beyond it is dropped and counted. */
  maxInFlight: number;
}

/** Each request's timeout; an answer later than this is a failure (status 0). */
export const REQUEST_TIMEOUT = "10s";

/** The thresholds every scenario is held to, by k6 metric name, in k6's expression syntax. */
export const THRESHOLDS: Readonly<Record<string, readonly string[]>> = {
  http_req_failed: ["rate<0.01"],
  http_req_duration: ["p(95)<200", "p(99)<400"],
  checks: ["rate>0.99"],
};

/** The trend statistics the summaries carry (k6's summaryTrendStats). */
export const TREND_STATS = ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)"] as const;

/** What the setup prepares, once per run, before the first arrival. */
export const SETUP = {
  /** Seed users logged in (user0 ... user{n-1}); iterations take their tokens in turn. */
  seedLogins: 20,
  /** Courses listed from the catalogue (its first page); iterations pick among them. */
  courses: 100,
  login: {
    step: "setup-login",
    service: "sessions",
    method: "POST",
    path: "/sessions",
    body: { email: "{{email}}", password: SEED_PASSWORD },
    expect: [201],
    capture: { token: "token", userId: "userId" },
  },
  catalogue: {
    step: "setup-catalogue",
    service: "courses",
    method: "GET",
    path: "/courses?limit=100",
    auth: true,
    expect: [200],
  },
} as const satisfies { login: RequestSpec; catalogue: RequestSpec; seedLogins: number; courses: number };

/** Search phrases: the subjects the seed's courses are written about, so searches find clusters. */
export const QUERIES: readonly string[] = TOPICS.flatMap((topic) => topic.subjects);

export const FLOWS: readonly Flow[] = [
  {
    name: "browse",
    description: "a signed-in user pages through the catalogue and opens a course",
    requests: [
      { step: "list-courses", service: "courses", method: "GET", path: "/courses?limit=20&offset={{offset}}", auth: true, expect: [200] },
      { step: "get-course", service: "courses", method: "GET", path: "/courses/{{courseId}}", auth: true, expect: [200] },
    ],
  },
  {
    name: "search",
    description: "a signed-in user searches the catalogue by meaning (pgvector)",
    requests: [
      { step: "search-courses", service: "courses", method: "GET", path: "/courses/search?q={{query}}&limit=10", auth: true, expect: [200] },
    ],
  },
  {
    name: "account",
    description: "a new user signs up, logs in, is validated and logs out",
    requests: [
      {
        step: "sign-up",
        service: "users",
        method: "POST",
        path: "/users",
        body: { email: "{{newEmail}}", password: "{{newPassword}}", displayName: "Load Test" },
        expect: [201],
      },
      {
        step: "login",
        service: "sessions",
        method: "POST",
        path: "/sessions",
        body: { email: "{{newEmail}}", password: "{{newPassword}}" },
        expect: [201],
        capture: { token: "token" },
      },
      { step: "validate", service: "sessions", method: "GET", path: "/sessions/current", auth: true, expect: [200] },
      { step: "logout", service: "sessions", method: "DELETE", path: "/sessions/current", auth: true, expect: [204] },
    ],
  },
  {
    name: "enroll",
    description: "a signed-in user enrolls in a course (idempotent) and lists their enrollments",
    requests: [
      {
        step: "enroll",
        service: "enrollments",
        method: "POST",
        path: "/enrollments",
        body: { userId: "{{userId}}", courseId: "{{courseId}}" },
        auth: true,
        expect: [200, 201],
      },
      { step: "list-enrollments", service: "enrollments", method: "GET", path: "/enrollments?userId={{userId}}", auth: true, expect: [200] },
    ],
  },
];

const one = (flow: string) => [{ flow, share: 1 }];

export const SCENARIOS: readonly Scenario[] = [
  {
    name: "browse",
    description: "the catalogue, paged and opened",
    mix: one("browse"),
    arrival: { executor: "constant-arrival-rate", rate: 20, duration: "1m" },
    maxInFlight: 50,
  },
  {
    name: "search",
    description: "semantic search over the seeded courses",
    mix: one("search"),
    arrival: { executor: "constant-arrival-rate", rate: 10, duration: "1m" },
    maxInFlight: 50,
  },
  {
    name: "account",
    description: "sign-up, login, validate, logout (two password hashes per iteration)",
    mix: one("account"),
    arrival: { executor: "constant-arrival-rate", rate: 2, duration: "1m" },
    maxInFlight: 50,
  },
  {
    name: "enroll",
    description: "enroll in a course and list enrollments",
    mix: one("enroll"),
    arrival: { executor: "constant-arrival-rate", rate: 10, duration: "1m" },
    maxInFlight: 50,
  },
  {
    name: "day-in-the-life",
    description: "mostly browsing and searching, some enrolling, a few new accounts; ramps up, holds, ramps down",
    mix: [
      { flow: "browse", share: 0.5 },
      { flow: "search", share: 0.25 },
      { flow: "enroll", share: 0.2 },
      { flow: "account", share: 0.05 },
    ],
    arrival: {
      executor: "ramping-arrival-rate",
      startRate: 0,
      stages: [
        { target: 20, duration: "15s" },
        { target: 20, duration: "1m" },
        { target: 0, duration: "15s" },
      ],
    },
    maxInFlight: 100,
  },
];
