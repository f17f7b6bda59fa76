/** The wire carries float Unix seconds (the old contract); inside we use milliseconds. Convert only here. */
export function toWireSeconds(epochMs: number): number {
  return epochMs / 1000;
}

export function fromWireSeconds(seconds: number): number {
  return seconds * 1000;
}
