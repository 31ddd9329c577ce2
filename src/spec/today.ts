/**
 * Today's date (YYYY-MM-DD, UTC), for the end-of-life warnings. HAFORM_TODAY sets it: tests pin the
 * day, and a CI job can ask what next month's run will say.
 */
export function today(): string {
  const pinned = process.env.HAFORM_TODAY;
  if (pinned && /^\d{4}-\d{2}-\d{2}$/.test(pinned)) return pinned;
  return new Date().toISOString().slice(0, 10);
}
