/** HTTP client helpers for the CLI commands that talk to a running server. */
import { LwError } from '../core/errors.ts';

export const DEFAULT_SERVER = 'http://127.0.0.1:4280';

export function serverUrl(flag: string | undefined): string {
  return (flag ?? process.env.LOGWARDEN_SERVER ?? DEFAULT_SERVER).replace(/\/+$/, '');
}

export async function request(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    const why = cause?.code === 'ECONNREFUSED' ? 'connection refused; is `logwarden start` running?' : String(cause ?? err);
    throw new LwError('LW_ERR_BAD_REQUEST', [`cannot reach ${new URL(url).origin}: ${why}`]);
  }
}

export async function errorText(res: Response): Promise<string> {
  const text = await res.text();
  try {
    const j = JSON.parse(text);
    return `${res.status}: ${j.error ?? text}`;
  } catch {
    return `${res.status}: ${text}`;
  }
}
