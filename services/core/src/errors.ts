/** Every error code the shared library raises, in one closed catalogue. */
export const ErrorCodes = {
  MODEL_NOT_JSON: 'MODEL_NOT_JSON',
  MODEL_WRONG_FORMAT: 'MODEL_WRONG_FORMAT',
  MODEL_UNSUPPORTED_VERSION: 'MODEL_UNSUPPORTED_VERSION',
  MODEL_SCHEMA: 'MODEL_SCHEMA',
  MODEL_HASH_MISMATCH: 'MODEL_HASH_MISMATCH',
  MODEL_CORRUPT_POINTS: 'MODEL_CORRUPT_POINTS',
  MODEL_INCONSISTENT: 'MODEL_INCONSISTENT',
  CONFIG_INVALID: 'CONFIG_INVALID',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class ScamDetectorError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ScamDetectorError';
  }
}

export class ModelArtifactError extends ScamDetectorError {
  override name = 'ModelArtifactError';
}
