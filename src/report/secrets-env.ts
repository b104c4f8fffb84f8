/**
 * Secrets for the reporters, which run in jest's parent process: the CLI passes the target's
 * passwords as a JSON array in this env var (not on a command line, where `ps` would show them).
 */
export const SECRETS_ENV = 'SIPWRIGHT_SECRETS';

export function secretsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = env[SECRETS_ENV];
  if (!raw) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? parsed.filter((s): s is string => typeof s === 'string' && s.length > 0) : [];
  } catch {
    // not JSON: one secret per line, so a shell user can still set it by hand
    return raw.split('\n').filter((s) => s.length > 0);
  }
}
