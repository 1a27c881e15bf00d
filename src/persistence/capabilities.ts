/**
 * What an adapter can do that changes how features should call it. main.ts reads it and passes
 * what a feature needs (e.g. the reconciler's `parallelWrites`), so no feature asks which adapter it has.
 */
export interface StoreCapabilities {
  /**
   * Each call is a network round trip that can overlap with others (MongoDB): independent writes
   * finish sooner a few at a time. False where calls run synchronously in process (SQLite), so
   * running them "at once" only interleaves them.
   */
  readonly parallelWrites: boolean;
}
