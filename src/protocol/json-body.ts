/** Bodies of vpcsim's own JSON endpoints (/_vpcsim/…). */

export const NOT_A_JSON_OBJECT = 'The body must be a JSON object.';

/** The JSON object a request body holds ({} for an empty body), or undefined when it holds none. */
export function jsonObject(body: string): Record<string, unknown> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body || '{}');
  } catch {
    return undefined;
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
}
