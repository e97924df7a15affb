/**
 * Structured logging: a message plus an object of ids. Errors are reduced to name, message and code so
 * no request, header or environment ever reaches a log line.
 */
type Fields = Record<string, unknown>;

function serialise(fields: Fields): string {
  const safe: Fields = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value instanceof Error) {
      safe[key] = { name: value.name, message: value.message, code: (value as { code?: unknown }).code };
    } else {
      safe[key] = value;
    }
  }
  return JSON.stringify(safe);
}

export function logInfo(message: string, fields: Fields = {}): void {
  console.log(`[overtime] ${message} ${serialise(fields)}`);
}

export function logError(message: string, fields: Fields = {}): void {
  console.error(`[overtime] ${message} ${serialise(fields)}`);
}
