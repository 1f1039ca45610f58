import { commonConfig, createLogger, createPool, readConfig, runService, url } from "@azora/service-kit";
import { buildCourseService } from "./app.ts";

const config = readConfig({ ...commonConfig, DATABASE_URL: url(["postgres:", "postgresql:"]) });
const logger = createLogger("course-service", config.LOG_LEVEL);
const pool = createPool(config.DATABASE_URL, logger);
const app = await buildCourseService({ pool, logger, bodyLimit: config.BODY_LIMIT_BYTES });
await runService(app, { port: config.PORT, graceMs: config.SHUTDOWN_GRACE_MS, onClose: () => pool.end() });
