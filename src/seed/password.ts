import { hashPassword } from "@azora/user-service/passwords";
import { SEED_PASSWORD } from "./accounts.ts";

/**
 * Hashed once per seeding run with user-service's own hashPassword (so its login verifies it), and
 * shared by every seed user: scrypt is deliberately slow, and 100,000 hashes would take minutes.
 */
export const seedPasswordHash = (): Promise<string> => hashPassword(SEED_PASSWORD);
