/**
 * A pipeline set: everything the processing workers need to process events of every stream,
 * as plain data (it is posted to worker threads, which compile it once). Named pipelines and
 * pipeline files are already resolved into their bodies. `version` increases with every change
 * of a stream or pipeline; a batch is processed with exactly one version.
 */
import type { PipelineBody } from '../../core/stream-def.ts';

export interface StreamRuntime {
  /** The resolved pipeline, or null (then the built-in pipelines run when `autoParse`). */
  pipeline: PipelineBody | null;
  /** Where the pipeline came from, for error messages: `stream payments`, `pipeline nginx (nginx.yaml)`. */
  pipelineSource: string;
  autoParse: boolean | 'always';
  routes: Array<{ if: string; stream: string }>;
  deadLetter: string | null;
}

export interface PipelineSet {
  version: number;
  /** Directory that lookup and geoip file names are relative to. */
  baseDir: string;
  streams: Record<string, StreamRuntime>;
}

/** What a stream without a definition does: no pipeline, built-in format recognition. */
export const UNDEFINED_STREAM: StreamRuntime = {
  pipeline: null,
  pipelineSource: '',
  autoParse: true,
  routes: [],
  deadLetter: null,
};

export function emptyPipelineSet(): PipelineSet {
  return { version: 0, baseDir: process.cwd(), streams: {} };
}
