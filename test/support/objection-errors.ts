import { DBError } from "objection";

/**
 * pg's error as objection hands it on: wrapped in a DBError that keeps the
 * original as `nativeError`. Built with Reflect.construct because db-errors'
 * constructor takes `{ nativeError }`, which objection's typings do not say.
 */
export function wrappedByObjection(nativeError: Error): Error {
  return Reflect.construct(DBError, [{ nativeError, client: "postgres" }]);
}
