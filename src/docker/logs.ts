import { execa } from "execa";

/** The last lines a container wrote (stdout and stderr interleaved), for error messages about it. */
export async function lastLogLines(container: string, lines = 20): Promise<string> {
  const result = await execa("docker", ["logs", "--tail", String(lines), container], {
    all: true,
    reject: false,
  });
  return String(result.all ?? "").trim() || "(no log output)";
}
