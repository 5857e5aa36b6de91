/**
 * Per-stream write permission of an HTTP request, as the api layer's authentication hook left
 * it on the request (`lwStreams`: the streams its principal may use, or null for all). Sources
 * call `assertStreamWritable` with the stream they are about to append to, so a token
 * restricted to some streams cannot write to others (403 LW_ERR_FORBIDDEN).
 */
import { LwError } from './errors.ts';

/** The request property the api layer sets; absent (no authentication layer) means all streams. */
export interface StreamScoped {
  lwStreams?: readonly string[] | null;
}

export function streamWritable(req: object, stream: string): boolean {
  const allowed = (req as StreamScoped).lwStreams;
  return allowed === undefined || allowed === null || allowed.includes(stream);
}

export function assertStreamWritable(req: object, stream: string): void {
  if (!streamWritable(req, stream))
    throw new LwError('LW_ERR_FORBIDDEN', [
      `this credential may not write to stream ${JSON.stringify(stream)}`,
    ]);
}
