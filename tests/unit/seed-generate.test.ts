import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { encodeCourse, encodeEnrollment, encodeUser } from "../../src/seed/copy.ts";
import {
  GENERATOR_VERSION,
  generateCourses,
  generateEnrollments,
  generateUsers,
  SEED_SIZES,
  type SeedCounts,
  SIZES,
} from "../../src/seed/generate.ts";
import { seedUuid } from "../../src/seed/ids.ts";
import { Prng } from "../../src/seed/prng.ts";
import { TOPICS } from "../../src/seed/vocabulary.ts";

// A fixed hash: the real one is salted per run, and is an input of generation, not an output.
const HASH = "scrypt$16384$8$1$c2FsdA==$a2V5";
const SMALL: SeedCounts = { ...SIZES.small };

/** SHA-256 over the COPY lines of every generated row: what the database would receive. */
function digest(seed: number, counts: SeedCounts): string {
  const hash = createHash("sha256");
  for (const u of generateUsers(seed, counts.users, HASH)) hash.update(encodeUser(u));
  for (const c of generateCourses(seed, counts.courses)) hash.update(encodeCourse(c));
  for (const e of generateEnrollments(seed, counts)) hash.update(encodeEnrollment(e));
  return hash.digest("hex");
}

describe("seed generation", () => {
  it("gives identical rows for the same seed and different rows for another seed", () => {
    const first = digest(42, SMALL);
    expect(digest(42, SMALL)).toBe(first);
    expect(digest(43, SMALL)).not.toBe(first);
  });

  // Golden data: what the small seed 42 (the dev env's) gives, fixed when GENERATOR_VERSION was 1.
  // A change to how ids, names, dates, enrollments or embeddings are derived changes these; make it
  // on purpose: bump GENERATOR_VERSION (so existing environments re-seed) and update the values.
  it("gives exactly the committed rows for the small seed 42 (golden fingerprint)", () => {
    expect(GENERATOR_VERSION).toBe(1);
    expect(digest(42, SMALL)).toBe("920df2f520c015eb2530b7569be221a78f84a0be4561dc76debcb57aefa4808c");
    expect(seedUuid(42, "user", 0)).toBe("058adf2b-71b6-8692-986e-f91cf16583a4");
    expect(seedUuid(42, "course", 199)).toBe("acf2811f-c2e5-8991-93e7-d329f96f22b7");
    expect([...generateUsers(42, 1, HASH)]).toEqual([
      {
        id: "058adf2b-71b6-8692-986e-f91cf16583a4",
        email: "user0@seed.azora.dev",
        passwordHash: HASH,
        displayName: "Bruno Chen",
        createdAt: new Date("2024-01-08T22:10:33.331Z"),
      },
    ]);
    const [first] = generateEnrollments(42, SMALL);
    expect(first).toEqual({
      userIndex: 86,
      courseIndex: 7,
      userId: "b85b0b34-bcd2-8d58-aefd-638f057706ea",
      courseId: "205d538c-d8a6-82a2-af32-2f045a41fe3c",
      createdAt: new Date("2024-11-09T17:02:19.209Z"),
    });
    const [course] = generateCourses(42, 1);
    expect(course?.title).toBe("Mastering HTML and CSS");
    expect(course?.tags).toEqual(["web", "advanced", "layouts", "routing"]);
  });

  it("has the documented counts per size", () => {
    expect(SEED_SIZES).toEqual(["small", "medium", "large"]);
    expect(SIZES.small).toEqual({ users: 1_000, courses: 200, enrollments: 5_000 });
    expect(SIZES.medium).toEqual({ users: 10_000, courses: 2_000, enrollments: 50_000 });
    expect(SIZES.large).toEqual({ users: 100_000, courses: 20_000, enrollments: 500_000 });
    for (const size of ["small", "medium"] as const) {
      const counts = SIZES[size];
      expect([...generateUsers(1, counts.users, HASH)]).toHaveLength(counts.users);
      expect([...generateEnrollments(1, counts)]).toHaveLength(counts.enrollments);
    }
    expect([...generateCourses(1, SIZES.small.courses)]).toHaveLength(SIZES.small.courses);
  });

  it("makes users with unique deterministic ids, seed emails and one shared password hash", () => {
    const users = [...generateUsers(7, 500, HASH)];
    expect(new Set(users.map((u) => u.id)).size).toBe(500);
    expect(new Set(users.map((u) => u.email)).size).toBe(500);
    expect(users[3]?.email).toBe("user3@seed.azora.dev");
    expect(users[3]?.id).toBe(seedUuid(7, "user", 3));
    expect(users.every((u) => u.passwordHash === HASH && /^\S+ \S+$/.test(u.displayName))).toBe(true);
    // Version-8 UUIDs: what marks a row as seeded (the services create version 4).
    expect(
      users.every((u) => /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(u.id)),
    ).toBe(true);
    // A larger size extends a smaller one rather than reshuffling it.
    expect([...generateUsers(7, 100, HASH)]).toEqual(users.slice(0, 100));
  });

  it("makes enrollments of distinct pairs that reference existing users and courses", () => {
    const counts = SIZES.small;
    const pairs = new Set<string>();
    // One expect at the end: an expect per row took seconds on a loaded 2-core machine.
    const wrong: string[] = [];
    for (const e of generateEnrollments(5, counts)) {
      const inRange =
        e.userIndex >= 0 &&
        e.userIndex < counts.users &&
        e.courseIndex >= 0 &&
        e.courseIndex < counts.courses;
      const idsMatch =
        e.userId === seedUuid(5, "user", e.userIndex) && e.courseId === seedUuid(5, "course", e.courseIndex);
      if (!inRange || !idsMatch) wrong.push(JSON.stringify(e));
      pairs.add(`${e.userIndex}:${e.courseIndex}`);
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(pairs.size).toBe(counts.enrollments);
  });

  it("embeds every course in 384 dimensions with unit length, within the API's limits", () => {
    for (const course of generateCourses(3, SIZES.small.courses)) {
      expect(course.embedding).toHaveLength(384);
      const norm = Math.sqrt(course.embedding.reduce((sum, x) => sum + x * x, 0));
      expect(norm).toBeCloseTo(1, 5);
      expect(course.title.length).toBeLessThanOrEqual(200);
      expect(course.description.length).toBeLessThanOrEqual(5000);
      expect(course.tags.length).toBeLessThanOrEqual(20);
    }
  });

  it("gives courses on one topic shared words, so search has structure", () => {
    const courses = [...generateCourses(9, 400)];
    const tagged = (tag: string) => courses.filter((c) => c.tags[0] === tag);
    const [a, b] = [tagged(TOPICS[0]?.tag ?? ""), tagged(TOPICS[1]?.tag ?? "")];
    const cosine = (x: Float32Array, y: Float32Array) => x.reduce((sum, v, i) => sum + v * (y[i] ?? 0), 0);
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const within = mean(a.slice(1).map((c) => cosine(c.embedding, a[0]?.embedding ?? c.embedding)));
    const across = mean(b.map((c) => cosine(c.embedding, a[0]?.embedding ?? c.embedding)));
    expect(within).toBeGreaterThan(across + 0.1);
  });

  it("draws a repeatable sequence from a seeded PRNG", () => {
    const draw = (seed: number) => {
      const prng = new Prng(seed);
      return Array.from({ length: 5 }, () => prng.next());
    };
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
    expect(draw(1).every((x) => x >= 0 && x < 1)).toBe(true);
  });
});
