/**
 * What every function does around its own work: POST only, settings read from the
 * environment (a missing or malformed one is a 500 `CONFIG_ERROR` naming the variable,
 * never a crash), and any unforeseen exception a 500 `UNEXPECTED_ERROR` with the details in
 * the log, not in the answer.
 */

import { type EnvReader, loadLogLevel, secretValues, SettingsError } from "./config.ts";
import { errorResponse, methodNotAllowed } from "./http.ts";
import { describeError, JsonLogger } from "./log.ts";

export type Handler = (request: Request) => Promise<Response>;

export interface FunctionDefinition<Deps> {
  readonly name: string;
  /** Builds what `run` needs from the environment; throws `SettingsError` when it cannot. */
  readonly load: (env: EnvReader, log: JsonLogger) => Deps;
  readonly run: (request: Request, deps: Deps) => Promise<Response>;
}

/** The request handler of a function, reading `env` on every request. */
export function functionHandler<Deps>(
  definition: FunctionDefinition<Deps>,
  env: EnvReader,
): Handler {
  return async (request) => {
    const secrets = secretValues(env);
    let log = new JsonLogger(definition.name, { secrets });
    if (request.method !== "POST") {
      await request.body?.cancel();
      return methodNotAllowed(request.method);
    }
    try {
      log = new JsonLogger(definition.name, { secrets, minLevel: loadLogLevel(env) });
      const deps = definition.load(env, log);
      return await definition.run(request, deps);
    } catch (error) {
      if (error instanceof SettingsError) {
        log.error("the function is misconfigured", {
          event: "function.config_error",
          problem: error.message,
        });
        return errorResponse(
          500,
          "CONFIG_ERROR",
          `the function is misconfigured: ${error.message}`,
        );
      }
      log.error("function failed", {
        event: "function.error",
        exception: error instanceof Error && error.stack ? error.stack : describeError(error),
      });
      return errorResponse(500, "UNEXPECTED_ERROR", "the function failed; see the function log");
    }
  };
}
