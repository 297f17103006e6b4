/** Errors that end a command with a specific exit code. */
export class OrchestratorError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Bad command line: exit 2, usage printed. */
export class UsageError extends OrchestratorError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** Bad board profile or bad environment (missing host tool): exit 2. */
export class ConfigError extends OrchestratorError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** A build, a boot or a test failed: exit 1. */
export class FailureError extends OrchestratorError {
  constructor(message: string) {
    super(message, 1);
  }
}

/** SIGINT/SIGTERM: exit 130. */
export class InterruptedError extends OrchestratorError {
  constructor(message = 'interrupted') {
    super(message, 130);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
