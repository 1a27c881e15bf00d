/** Longest piece of client input an error detail quotes: enough to recognise it, never an echo of a large request. */
export const MAX_EXCERPT_CHARS = 100;

/** The start of `text`, marked when cut (at most `maxChars` in all), for quoting client input back in an error detail. */
export function excerpt(text: string, maxChars = MAX_EXCERPT_CHARS): string {
  if (text.length <= maxChars) return text;
  const marker = `… (${text.length} characters)`;
  return `${text.slice(0, Math.max(0, maxChars - marker.length))}${marker}`;
}
