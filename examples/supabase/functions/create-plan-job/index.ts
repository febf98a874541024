/** Entry point of the create-plan-job Edge Function: the platform (or the host) picks the port. */

import { handler } from "./handler.ts";

Deno.serve(handler);
