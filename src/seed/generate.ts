import { courseText } from "@azora/course-service/course-text";
import { type Embedder, FeatureHashingEmbedder } from "@azora/service-kit/embedding";
import { seedEmail } from "./accounts.ts";
import { seedUuid } from "./ids.ts";
import { prngFor } from "./prng.ts";
import {
  DESCRIPTION_OPENERS,
  FIRST_NAMES,
  FORMATS,
  LAST_NAMES,
  LEVELS,
  TITLE_PATTERNS,
  TOPICS,
} from "./vocabulary.ts";

/**
 * The seed data as lazy row generators: nothing here touches a database, and the same
 * (seed, size) always yields the same rows, so tests can compare hashes and a re-seed can tell it
 * would change nothing.
 */

export const SIZES = {
  small: { users: 1_000, courses: 200, enrollments: 5_000 },
  medium: { users: 10_000, courses: 2_000, enrollments: 50_000 },
  large: { users: 100_000, courses: 20_000, enrollments: 500_000 },
} as const;
export type SeedSize = keyof typeof SIZES;
export const SEED_SIZES = Object.keys(SIZES) as SeedSize[];
export interface SeedCounts {
  users: number;
  courses: number;
  enrollments: number;
}

/**
 * Bumped whenever generation changes what a (seed, size) produces; recorded with each run, so a
 * re-seed after such a change replaces the old rows instead of reporting "already applied".
 */
export const GENERATOR_VERSION = 1;

export interface SeedUser {
  id: string;
  email: string;
  passwordHash: string;
  displayName: string;
  createdAt: Date;
}
export interface SeedCourse {
  id: string;
  title: string;
  description: string;
  tags: string[];
  embedding: Float32Array;
  createdAt: Date;
}
export interface SeedEnrollment {
  userIndex: number;
  courseIndex: number;
  userId: string;
  courseId: string;
  createdAt: Date;
}

/** The share of courses that bridge their topic with a second one (see composeCourse). */
const BRIDGE_SHARE = 0.3;

// Fixed dates rather than now(): a timestamp is part of the data, and must repeat with the seed.
const SEED_START = Date.UTC(2024, 0, 1);
const SEED_END = Date.UTC(2025, 0, 1);
const SPAN = SEED_END - SEED_START;

// Reuses hash bits of the (already random) id, so a row's creation time needs no generator state
// and enrollments can look it up by index.
const createdAtOf = (id: string) =>
  SEED_START + Math.floor((Number.parseInt(id.slice(0, 8), 16) / 2 ** 32) * SPAN);

export function* generateUsers(seed: number, count: number, passwordHash: string): Generator<SeedUser> {
  const rng = prngFor(seed, "users");
  for (let i = 0; i < count; i++) {
    const id = seedUuid(seed, "user", i);
    const createdAt = new Date(createdAtOf(id));
    yield {
      id,
      email: seedEmail(i),
      passwordHash,
      displayName: `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`,
      createdAt,
    };
  }
}

/** The topic (index into TOPICS) of each course; its own stream, so enrollments need no course text. */
export function courseTopics(seed: number, count: number): Uint8Array {
  const rng = prngFor(seed, "course-topics");
  return Uint8Array.from({ length: count }, () => rng.int(TOPICS.length));
}

/**
 * Title, description and tags of a course, mostly from its topic's words (see vocabulary.ts). About
 * a third of the courses also apply a second topic ("PostgreSQL for Investing"), and every course
 * names a few course formats shared by all topics. Both are what real catalogues have, and both
 * matter to HNSW: with sixteen perfectly separate word clusters its graph falls apart into islands,
 * and a search that enters the wrong island returns nothing relevant (bench:seed measured recall@10
 * 0.90-0.96 at the default ef_search without bridges, 0.97-0.99 with them).
 */
function composeCourse(rng: ReturnType<typeof prngFor>, topicIndex: number) {
  const topic = TOPICS[topicIndex] ?? TOPICS[0];
  if (!topic) throw new Error("no topics");
  const subject = rng.pick(topic.subjects);
  const level = rng.pick(LEVELS);
  const [a, b, c, d, e] = rng.sample(topic.concepts, 5);
  const second =
    rng.next() < BRIDGE_SHARE
      ? TOPICS[(topicIndex + 1 + rng.int(TOPICS.length - 1)) % TOPICS.length]
      : undefined;
  const formats = rng.sample(FORMATS, 2).join(" and ");
  const opening = `${rng.pick(DESCRIPTION_OPENERS)} ${a}, ${b} and ${c} in this ${level} course on ${subject}.`;
  if (second) {
    const applied = rng.pick(second.subjects);
    const [x, y] = rng.sample(second.concepts, 2);
    return {
      title: `${subject} for ${applied}`,
      description: `${opening} You will apply ${d} and ${e} to ${x} and ${y} in ${applied}, with ${formats}.`,
      tags: [topic.tag, second.tag, level, rng.pick(topic.concepts), rng.pick(second.concepts)],
    };
  }
  const other = rng.sample(topic.subjects, 2).filter((s) => s !== subject)[0] ?? subject;
  return {
    title: rng.pick(TITLE_PATTERNS[level])(subject),
    description: `${opening} You will work through ${d} and ${e} with ${formats}, and see how it connects to ${other}.`,
    tags: [topic.tag, level, ...rng.sample(topic.concepts, 2)],
  };
}

/**
 * Courses with their embeddings, computed exactly as course-service does on create (the same
 * embedder over the same courseText), so seeded and created courses live in one search space.
 */
export function* generateCourses(
  seed: number,
  count: number,
  embedder: Embedder = new FeatureHashingEmbedder(),
): Generator<SeedCourse> {
  const rng = prngFor(seed, "courses");
  const topics = courseTopics(seed, count);
  for (let i = 0; i < count; i++) {
    const id = seedUuid(seed, "course", i);
    const course = composeCourse(rng, topics[i] ?? 0);
    yield {
      id,
      ...course,
      embedding: embedder.embed(courseText(course)),
      createdAt: new Date(createdAtOf(id)),
    };
  }
}

/**
 * Distinct (user, course) pairs. Each user has a favourite topic and picks most courses there; the
 * rest follow a skewed popularity (low course indices are enrolled in far more often), as real
 * catalogues have bestsellers. Pairs are drawn until `counts.enrollments` distinct ones exist.
 */
export function* generateEnrollments(seed: number, counts: SeedCounts): Generator<SeedEnrollment> {
  const { users, courses, enrollments } = counts;
  if (enrollments > 0 && (users === 0 || courses === 0))
    throw new Error("enrollments need at least one user and one course");
  // Drawing with rejection slows down as pairs run out; the sizes stay far below this.
  if (enrollments > (users * courses) / 2)
    throw new Error(`${enrollments} enrollments is more than half of ${users} x ${courses} pairs`);
  const topics = courseTopics(seed, courses);
  const byTopic: number[][] = TOPICS.map(() => []);
  for (const [i, t] of topics.entries()) byTopic[t]?.push(i);
  const interests = prngFor(seed, "user-interests");
  const favourite = Uint8Array.from({ length: users }, () => interests.int(TOPICS.length));

  const rng = prngFor(seed, "enrollments");
  const userIds: (string | undefined)[] = new Array(users);
  const courseIds: (string | undefined)[] = new Array(courses);
  const seen = new Set<number>();
  while (seen.size < enrollments) {
    const u = rng.int(users);
    const inTopic = byTopic[favourite[u] ?? 0] ?? [];
    const c =
      rng.next() < 0.7 && inTopic.length > 0 ? rng.pick(inTopic) : Math.floor(courses * rng.next() ** 2);
    const key = u * courses + c;
    if (seen.has(key)) continue;
    seen.add(key);
    userIds[u] ??= seedUuid(seed, "user", u);
    courseIds[c] ??= seedUuid(seed, "course", c);
    const userId = userIds[u] as string;
    const courseId = courseIds[c] as string;
    // After both the user and the course exist, before the end of the seeded year.
    const from = Math.max(createdAtOf(userId), createdAtOf(courseId));
    yield {
      userIndex: u,
      courseIndex: c,
      userId,
      courseId,
      createdAt: new Date(from + Math.floor(rng.next() * (SEED_END - from))),
    };
  }
}
