// The gateway's init container: renders the API definition templates of /templates into /apps.
// `${NAME}` becomes the environment variable NAME, `${NAME_BASE64}` its base64 (Tyk reads an HMAC
// signing secret base64-encoded). A name that is not set stops the pod: nothing half-rendered.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";

const [from = "/templates", to = "/apps"] = process.argv.slice(2);
const value = (name) => {
  if (name in process.env) return process.env[name];
  const plain = name.endsWith("_BASE64") ? process.env[name.slice(0, -7)] : undefined;
  if (plain !== undefined) return Buffer.from(plain).toString("base64");
  throw new Error(`\${${name}} is used but ${name} is not set`);
};
for (const file of readdirSync(from).filter((f) => f.endsWith(".json"))) {
  try {
    const text = readFileSync(`${from}/${file}`, "utf8").replace(/\$\{([A-Z][A-Z0-9_]*)\}/g, (_, name) => value(name));
    JSON.parse(text);
    writeFileSync(`${to}/${file}`, text);
    console.log(`rendered ${file}`);
  } catch (error) {
    console.error(`${from}/${file}: ${error.message}`);
    process.exit(1);
  }
}
