import { AppError } from "../errors.ts";

/** The log no longer holds these bytes (past retention): 410. */
export function goneError(): AppError {
  return new AppError("gone:stream", "These bytes are past retention and no longer stored.");
}
