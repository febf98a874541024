"""A team's Supabase Edge Functions under Deno, in place of the reference service's functions.

deno_binary  the Deno executable from the `deno` PyPI package, and its version
folder       a Supabase functions folder: which functions, what is missing
preflight    once per run: dependencies cached, types checked, each function started once
bootstrap.ts runs one function as the platform does (`Deno.serve`, `EdgeRuntime.waitUntil`)
runtime      the edge runtime process: a gateway for /functions/v1, one Deno worker per
             function, the request wall-clock limit (546 WORKER_LIMIT), the pg_cron schedule
"""

from __future__ import annotations

ADMIN_TOKEN_ENV = "EDGE_RUNTIME_ADMIN_TOKEN"  # the edge runtime's admin API token
