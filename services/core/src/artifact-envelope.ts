import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { canonicalJson } from './canonical-json.js';
import { ErrorCodes, ModelArtifactError } from './errors.js';

/**
 * The envelope every model file shares, whatever the model inside: `format` and `format_version` first, then
 * `model_version` (a hash of everything but itself and `created_at`, so equal content gives an equal version and
 * any edit or corruption shows), `created_at`, and the content.
 */

/** Throws the ModelArtifactError of `code`. */
export function failArtifact(code: keyof typeof ErrorCodes, message: string, cause?: unknown): never {
  throw new ModelArtifactError(ErrorCodes[code], message, cause === undefined ? undefined : { cause });
}

/** The model_version of a file's content (everything but `model_version` and `created_at`). */
export function contentVersion(content: object): string {
  return `knn-${createHash('sha256').update(canonicalJson(content)).digest('hex').slice(0, 16)}`;
}

/** A model file's text and version, from its content (which starts with `format` and `format_version`). */
export function sealArtifact(
  content: { format: string; format_version: number },
  createdAt: string,
): { json: string; version: string } {
  const { format, format_version, ...rest } = content;
  const version = contentVersion(content);
  return {
    json: JSON.stringify({ format, format_version, model_version: version, created_at: createdAt, ...rest }),
    version,
  };
}

/**
 * Reads a model file's envelope: valid JSON, an object, the expected `format` and `format_version`, fields as
 * `schema` says, and a `model_version` that matches the content. Returns the parsed file; throws a
 * ModelArtifactError naming the first thing wrong. `wrongFormatHint` adds a sentence when the format is another
 * known one.
 */
export function openArtifact<S extends z.ZodType<{ model_version: string; created_at: string }>>(
  text: string,
  expected: {
    format: string;
    formatVersion: number;
    schema: S;
    wrongFormatHint?: (format: unknown) => string;
  },
): z.infer<S> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    failArtifact(
      'MODEL_NOT_JSON',
      `model is not valid JSON (truncated or not a model file): ${(cause as Error).message}`,
      cause,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    failArtifact('MODEL_WRONG_FORMAT', 'model must be a JSON object');
  }
  const header = parsed as Record<string, unknown>;
  if (header.format !== expected.format) {
    failArtifact(
      'MODEL_WRONG_FORMAT',
      `model "format" is ${JSON.stringify(header.format)}, expected "${expected.format}"${expected.wrongFormatHint?.(header.format) ?? ''}`,
    );
  }
  if (header.format_version !== expected.formatVersion) {
    failArtifact(
      'MODEL_UNSUPPORTED_VERSION',
      `model format_version ${JSON.stringify(header.format_version)} is not supported; this build reads version ${expected.formatVersion}`,
    );
  }
  const result = expected.schema.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    failArtifact('MODEL_SCHEMA', `model fields are invalid: ${problems.join('; ')}`);
  }
  const artifact = result.data as z.infer<S>;
  const { model_version: version, created_at: _created, ...content } = artifact;
  const hashed = contentVersion(content);
  if (hashed !== version) {
    failArtifact(
      'MODEL_HASH_MISMATCH',
      `model content does not match its model_version ${version} (content hashes to ${hashed}): the file was modified or corrupted`,
    );
  }
  return artifact;
}
