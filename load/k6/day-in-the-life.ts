// k6 run load/k6/day-in-the-life.ts -e BASE_URLS='{"gateway":"http://127.0.0.1:PORT"}' (or: pnpm test:load --scenario day-in-the-life)
import { k6Script } from "./lib.ts";

export const { options, setup, handleSummary } = k6Script("day-in-the-life");
export { default } from "./lib.ts";
