/**
 * A healthy service at its admission bound (say, password hashes queued for
 * the CPU) refuses more work rather than letting callers wait past their
 * deadline: 503, so the gateway adds Retry-After. The refusal is the service
 * protecting itself, not failing, so the circuit breaker does not count it
 * (see isServiceFailure): a crowd must not trip the breaker for everyone.
 */
import { Errors } from "moleculer";

export const SERVICE_BUSY = "SERVICE_BUSY";

export function serviceBusy(message: string): InstanceType<typeof Errors.MoleculerRetryableError> {
  return new Errors.MoleculerRetryableError(message, 503, SERVICE_BUSY);
}
