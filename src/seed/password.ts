import { hashPassword } from "@azora/user-service";

/**
 * The password of every seed user: log in as any of them (`user{i}@seed.azora.dev`, e.g.
 * user0@seed.azora.dev) with it. Seed data is for development environments only, where a known
 * password is the point.
 */
export const SEED_PASSWORD = "azora-seed-password";

/**
 * Hashed once per seeding run with user-service's own hashPassword (so its login verifies it), and
 * shared by every seed user: scrypt is deliberately slow, and 100,000 hashes would take minutes.
 */
export const seedPasswordHash = (): Promise<string> => hashPassword(SEED_PASSWORD);
