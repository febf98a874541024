/** Entry point of the process-plan-queue Edge Function: the platform (or the host) picks the port. */

import { handler } from "./handler.ts";

Deno.serve(handler);
