/**
 * HTTP client helpers for the CLI commands that talk to a running server. Every request carries
 * the API token of `--token` (see `useToken`) or `$LOGWARDEN_TOKEN` as `Authorization: Bearer`.
 */

export const DEFAULT_SERVER = 'http://127.0.0.1:4280';

export function serverUrl(flag: string | undefined): string {
  return (flag ?? process.env.LOGWARDEN_SERVER ?? DEFAULT_SERVER).replace(/\/+$/, '');
}

let token: string | null = null;

/** Sets the token `request` sends: the `--token` flag, else `$LOGWARDEN_TOKEN`, else none. */
export function useToken(flag: string | undefined): void {
  token = flag ?? process.env.LOGWARDEN_TOKEN ?? null;
}

function withToken(init: RequestInit | undefined): RequestInit | undefined {
  const t = token ?? process.env.LOGWARDEN_TOKEN ?? null;
  if (t === null || t === '') return init;
  const headers = new Headers(init?.headers);
  if (!headers.has('authorization')) headers.set('authorization', `Bearer ${t}`);
  return { ...init, headers };
}

/** A failure talking to the server; `main` prints its message as one line and exits 1. */
export class ServerUnreachableError extends Error {}

/**
 * `fetch`, with a network failure turned into one clear sentence:
 * `cannot reach http://127.0.0.1:4280: connection refused; is \`logwarden start\` running?`.
 * An invalid URL (from --server) is reported the same way.
 */
export async function request(url: string, init?: RequestInit): Promise<Response> {
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    throw new ServerUnreachableError(
      `invalid server URL ${JSON.stringify(url)}; expected e.g. ${DEFAULT_SERVER}`,
    );
  }
  try {
    return await fetch(url, withToken(init));
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why =
      cause?.code === 'ECONNREFUSED'
        ? 'connection refused; is `logwarden start` running?'
        : cause?.code === 'ENOTFOUND'
          ? 'unknown host'
          : (cause?.message ?? (err as Error).message ?? String(err));
    throw new ServerUnreachableError(`cannot reach ${origin}: ${why}`);
  }
}

/** An error answer as `message (LW_ERR_CODE)` plus the parsed JSON body, if any. */
export async function errorAnswer(res: Response): Promise<{ text: string; body: Record<string, unknown> }> {
  const raw = await res.text();
  let body: Record<string, unknown> = {};
  try {
    const j = JSON.parse(raw);
    if (j && typeof j === 'object' && !Array.isArray(j)) body = j;
  } catch {
    // not JSON: shown as is
  }
  const msg = typeof body.error === 'string' ? body.error : raw.trim() || res.statusText;
  const code = typeof body.code === 'string' ? ` (${body.code})` : ` (HTTP ${res.status})`;
  return { text: `${msg}${code}`, body };
}

/** Unless `res` is ok: throws its error answer as one line (`main` prints it; exit 1). */
export async function expectOk(res: Response): Promise<void> {
  if (!res.ok) throw new Error((await errorAnswer(res)).text);
}

/** `request` with a JSON body; resolves the parsed JSON answer, or throws its error as one line. */
export async function requestJson(
  url: string,
  method: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const res = await request(url, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  await expectOk(res);
  if (res.status === 204) return {};
  return (await res.json()) as Record<string, unknown>;
}
