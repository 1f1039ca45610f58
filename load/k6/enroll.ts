// k6 run load/k6/enroll.ts -e BASE_URLS='{"gateway":"http://127.0.0.1:PORT"}' (or: pnpm test:load --scenario enroll)
import { k6Script } from "./lib.ts";

export const { options, setup, handleSummary } = k6Script("enroll");
export { default } from "./lib.ts";
