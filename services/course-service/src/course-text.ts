/**
 * The text a course is embedded from. The seed uses the same function (importing only this module,
 * not the service), so seeded and created courses are searched in one space.
 */
export const courseText = (c: { title: string; description: string; tags?: string[] }) =>
  [c.title, c.description, ...(c.tags ?? [])].join("\n");
