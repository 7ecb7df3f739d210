/**
 * checkArgs may run at load time, before templates are rendered (`mode: "{{ app_mode }}"`):
 * such values are judged after rendering, not before.
 */
export function isTemplated(value: unknown): boolean {
  return typeof value === 'string' && value.includes('{{');
}
