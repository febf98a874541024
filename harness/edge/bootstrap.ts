/**
 * Runs one Supabase Edge Function the way the platform does, on a port the host chooses.
 *
 * Usage: deno run [permissions] bootstrap.ts <function-name> <file URL of its index.ts>
 *
 * The function calls `Deno.serve(handler)` as on Supabase; this module replaces `Deno.serve`
 * so the server binds 127.0.0.1 on a free port and prints
 * `edge-function <name> serving on http://127.0.0.1:<port>` once it listens. It provides
 * `EdgeRuntime.waitUntil` (background work after the response). A function that throws while
 * it is imported, or never calls `Deno.serve`, ends the process with one line naming it.
 */

type Handler = (request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => Response | Promise<Response>;

interface ServeOptions {
  handler?: Handler;
  onListen?: (address: Deno.NetAddr) => void;
  signal?: AbortSignal;
  onError?: (error: unknown) => Response | Promise<Response>;
}

const [name, entry] = Deno.args;
if (!name || !entry) {
  console.error("edge-function bootstrap: usage: bootstrap.ts <function-name> <entry file URL>");
  Deno.exit(2);
}

const pending = new Set<Promise<unknown>>();
Object.defineProperty(globalThis, "EdgeRuntime", {
  value: {
    waitUntil(promise: Promise<unknown>): void {
      pending.add(promise);
      promise.catch((error) => console.error(`${name}: waitUntil task failed: ${describe(error)}`))
        .finally(() => pending.delete(promise));
    },
  },
});

let served = false;
const platformServe = Deno.serve.bind(Deno);

function serve(first: Handler | ServeOptions, second?: Handler): Deno.HttpServer<Deno.NetAddr> {
  if (served) {
    throw new Error(`${name} called Deno.serve twice; a function serves one handler`);
  }
  served = true;
  const options: ServeOptions = typeof first === "function" ? {} : first;
  const handler = typeof first === "function" ? first : second ?? first.handler;
  if (!handler) {
    throw new Error(`${name} called Deno.serve without a handler`);
  }
  return platformServe({
    hostname: "127.0.0.1",
    port: 0,
    signal: options.signal,
    onError: options.onError,
    onListen(address: Deno.NetAddr): void {
      console.log(`edge-function ${name} serving on http://127.0.0.1:${address.port}`);
    },
  }, handler);
}

Object.defineProperty(Deno, "serve", { value: serve });

function describe(error: unknown): string {
  if (error instanceof Error) {
    const frame = error.stack?.split("\n").find((line) => line.includes("file://")) ?? "";
    const where = frame.match(/file:\/\/(\S+?:\d+:\d+)/)?.[1];
    return where ? `${where}: ${error.name}: ${error.message}` : `${error.name}: ${error.message}`;
  }
  return String(error);
}

try {
  await import(entry);
} catch (error) {
  console.error(`edge-function ${name} failed to start: ${describe(error)}`);
  Deno.exit(1);
}
if (!served) {
  console.error(`edge-function ${name} failed to start: ${new URL(entry).pathname} never called Deno.serve`);
  Deno.exit(1);
}
