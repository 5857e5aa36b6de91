/**
 * TLS certificate files of a listener: loads PEM certificate, key and optional CA, and watches
 * them so a renewed certificate (certbot, cert-manager) is used for new connections without a
 * restart. A file that cannot be read at start is a configuration error naming the file; a
 * reload that fails (half-written file, key not matching the certificate) is logged and the
 * previous certificate stays in use.
 */
import fs from 'node:fs';
import tls from 'node:tls';
import { LwError } from '../../core/errors.ts';
import type { ListenerLogger } from './remote.ts';

export interface TlsFiles {
  /** PEM certificate chain of the server. */
  cert: string;
  /** PEM private key of the server. */
  key: string;
  /** PEM CA bundle that client certificates must chain to (mutual TLS). */
  ca?: string | null | undefined;
}

/** Reads the files; throws LW_ERR_CONFIG naming `what` and the file when one cannot be used. */
export function loadTlsFiles(files: TlsFiles, what: string): tls.SecureContextOptions {
  const read = (key: string, file: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new LwError('LW_ERR_CONFIG', [`${what}.${key}: cannot read ${file}: ${(err as Error).message}`]);
    }
  };
  const options: tls.SecureContextOptions = { cert: read('cert', files.cert), key: read('key', files.key) };
  if (files.ca) options.ca = read('ca', files.ca);
  try {
    tls.createSecureContext(options);
  } catch (err) {
    throw new LwError('LW_ERR_CONFIG', [
      `${what}: cannot use certificate ${files.cert} with key ${files.key}: ${(err as Error).message}`,
    ]);
  }
  return options;
}

/**
 * Calls onChange with the new options whenever one of the files changes (polled every
 * intervalMs; the timers do not keep the process alive). Returns a function that stops watching.
 */
export function watchTlsFiles(
  files: TlsFiles,
  what: string,
  logger: ListenerLogger,
  onChange: (options: tls.SecureContextOptions) => void,
  intervalMs = 2_000,
): () => void {
  const paths = [files.cert, files.key, ...(files.ca ? [files.ca] : [])];
  const reload = (): void => {
    try {
      onChange(loadTlsFiles(files, what));
      logger.info({ source: what, cert: files.cert }, 'TLS certificate reloaded');
    } catch (err) {
      logger.error(
        { source: what, err: (err as Error).message },
        'TLS certificate reload failed; keeping the previous one',
      );
    }
  };
  const listener = (cur: fs.Stats, prev: fs.Stats): void => {
    if (cur.mtimeMs !== prev.mtimeMs || cur.size !== prev.size || cur.ino !== prev.ino) reload();
  };
  for (const p of paths) fs.watchFile(p, { persistent: false, interval: intervalMs }, listener);
  return () => {
    for (const p of paths) fs.unwatchFile(p, listener);
  };
}
