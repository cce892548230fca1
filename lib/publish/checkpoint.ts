// Where a push records which batches a platform has accepted, so a crashed or timed-out push resumes
// without sending any batch twice. The lead backs this with DynamoDB; tests use the in-memory store.

export interface CheckpointStore {
  get(key: string): Promise<string | undefined>;
  put(key: string, value: string): Promise<void>;
}

export class MemoryCheckpointStore implements CheckpointStore {
  private readonly entries = new Map<string, string>();

  async get(key: string): Promise<string | undefined> {
    return this.entries.get(key);
  }

  async put(key: string, value: string): Promise<void> {
    this.entries.set(key, value);
  }

  get size(): number {
    return this.entries.size;
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }
}
