/** A field of a JSON answer as text, or "" when the answer was not the JSON expected. */
export function jsonField(text: string, name: string): string {
  try {
    return String((JSON.parse(text) as Record<string, unknown>)[name] ?? "");
  } catch {
    return "";
  }
}
