/** One part of the local stack: start it (idempotently), stop what it started, say how it is. */
export interface PartStatus {
  healthy: boolean;
  detail: string;
}

export interface StackPart {
  name: string;
  logFile: string;
  up(): Promise<void>;
  down(): Promise<void>;
  status(): Promise<PartStatus>;
}
