/** Test helpers: profiles, valid plans, a log that records its lines, and a local HTTP stub. */

import type { DeepSeekSettings } from "../_shared/config.ts";
import { DAY_NAMES } from "../_shared/days.ts";
import type { JsonObject, JsonValue } from "../_shared/json.ts";
import { JsonLogger, type LogLevel } from "../_shared/log.ts";
import { parseProfile, type Profile } from "../_shared/profile.ts";
import type { Targets } from "../_shared/targets.ts";

/** A valid profile as a client sends it, with `overrides` applied. */
export function profileJson(overrides: JsonObject = {}): JsonObject {
  return {
    age: 30,
    sex: "male",
    heightCm: 180,
    weightKg: 80,
    goal: "muscle_gain",
    activityLevel: "moderate",
    trainingDaysPerWeek: 4,
    equipment: ["dumbbells", "bench"],
    dietaryPreference: "Vegetarian",
    mealCount: 4,
    avoidExercises: ["Barbell Back Squat"],
    supplements: ["creatine"],
    ...overrides,
  };
}

/** A parsed profile; throws when `overrides` make it invalid. */
export function profile(overrides: JsonObject = {}): Profile {
  const result = parseProfile(profileJson(overrides));
  if (!result.ok) throw new Error(`invalid test profile: ${JSON.stringify(result.errors)}`);
  return result.profile;
}

/** A plan that satisfies every rule for `profile` and `targets`. */
export function validPlan(profile: Profile, targets: Targets): JsonObject {
  const days: JsonObject = {};
  DAY_NAMES.forEach((name, index) => {
    const training = index < profile.trainingDaysPerWeek;
    const meals: JsonValue[] = Array.from({ length: profile.mealCount }, (_, meal) => ({
      name: `Meal ${meal + 1}`,
      items: [{ food: "Paneer and lentil bowl", qty: "250 g" }],
      kcal: Math.floor(targets.total_kcal / profile.mealCount),
      protein_g: Math.floor(targets.protein_g / profile.mealCount),
    }));
    days[name] = {
      workout: {
        focus: training ? "Upper body" : "Rest",
        durationMin: training ? 50 : 0,
        blocks: training
          ? [{
            name: "Main",
            items: [{ exercise: "Dumbbell Press", sets: 4, reps: "8-10", restSec: 90 }],
          }]
          : [],
      },
      nutrition: { total_kcal: targets.total_kcal, protein_g: targets.protein_g, meals },
      recovery: {
        mobility: ["Hip openers, 10 min"],
        sleep: ["8 hours"],
        supplementCard: { current: [...profile.supplements], addOns: [] },
      },
      reason: training ? "Training day fuelled for recovery." : "Rest day to recover.",
    };
  });
  return { days };
}

/** A logger that keeps its lines as parsed objects. */
export function recordingLogger(
  secrets: readonly string[] = [],
): { log: JsonLogger; lines: Array<Record<string, JsonValue>>; levels: LogLevel[] } {
  const lines: Array<Record<string, JsonValue>> = [];
  const levels: LogLevel[] = [];
  const log = new JsonLogger("test", {
    secrets,
    minLevel: "debug",
    sink: (level, line) => {
      levels.push(level);
      lines.push(JSON.parse(line));
    },
  });
  return { log, lines, levels };
}

/** DeepSeek settings for a stub at `baseUrl`, with short limits. */
export function deepseekSettings(
  baseUrl: string,
  overrides: Partial<DeepSeekSettings> = {},
): DeepSeekSettings {
  return {
    apiKey: "sk-test-key-0123456789",
    baseUrl,
    model: "deepseek-chat",
    attemptTimeoutMs: 2000,
    callTimeoutMs: 1500,
    maxTokens: 8192,
    inCallRetries: 2,
    retryBackoffMs: 10,
    ...overrides,
  };
}

/** A local HTTP server for one test; `close()` waits for its requests to end. */
export interface Stub {
  readonly url: string;
  /** The path of each request received, in order. */
  readonly paths: string[];
  close(): Promise<void>;
}

export function startStub(
  handle: (request: Request, index: number) => Response | Promise<Response>,
): Stub {
  const paths: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => {
      paths.push(new URL(request.url).pathname);
      return handle(request, paths.length);
    },
  );
  return { url: `http://127.0.0.1:${server.addr.port}`, paths, close: () => server.shutdown() };
}

/** A TCP server that accepts connections and never answers (or drops them at once). */
export function silentServer(mode: "hang" | "drop"): Stub {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open: Deno.Conn[] = [];
  const paths: string[] = [];
  const accepting = (async () => {
    for await (const connection of listener) {
      paths.push("(connection)");
      if (mode === "drop") connection.close();
      else open.push(connection);
    }
  })();
  return {
    url: `http://127.0.0.1:${listener.addr.port}`,
    paths,
    close: async () => {
      listener.close();
      for (const connection of open) connection.close();
      await accepting.catch(() => {});
    },
  };
}

/**
 * A raw HTTP/1.1 server: the first request gets `firstAnswer` on a keep-alive connection,
 * every later request is read and then dropped without an answer. `paths` counts requests.
 */
export function answerOnceThenDrop(firstAnswer: string): Stub {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const paths: string[] = [];
  const connections: Deno.Conn[] = [];
  const serve = async (connection: Deno.Conn): Promise<void> => {
    const buffer = new Uint8Array(64 * 1024);
    let pending = "";
    for (;;) {
      const read = await connection.read(buffer).catch(() => null);
      if (read === null) return;
      pending += new TextDecoder().decode(buffer.subarray(0, read));
      const headerEnd = pending.indexOf("\r\n\r\n");
      if (headerEnd === -1) continue;
      const length = Number(/content-length:\s*(\d+)/i.exec(pending.slice(0, headerEnd))?.[1] ?? 0);
      if (pending.length < headerEnd + 4 + length) continue;
      pending = pending.slice(headerEnd + 4 + length);
      paths.push("/chat/completions");
      if (paths.length > 1) {
        connection.close();
        return;
      }
      const body = new TextEncoder().encode(firstAnswer);
      const head =
        `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.byteLength}\r\n\r\n`;
      await connection.write(new TextEncoder().encode(head));
      await connection.write(body);
    }
  };
  const accepting = (async () => {
    for await (const connection of listener) {
      connections.push(connection);
      serve(connection).catch(() => {});
    }
  })();
  return {
    url: `http://127.0.0.1:${listener.addr.port}`,
    paths,
    close: async () => {
      listener.close();
      for (const connection of connections) {
        try {
          connection.close();
        } catch {
          // already closed by the server
        }
      }
      await accepting.catch(() => {});
    },
  };
}

/** A chat completion envelope whose content is `content`. */
export function completion(content: string | null, finishReason: string | null = "stop"): Response {
  return Response.json({
    id: "chatcmpl-test",
    object: "chat.completion",
    model: "deepseek-chat",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: finishReason }],
  });
}

/** 200 headers at once, then a blank line every `intervalMs` until the client gives up. */
export function keepAliveStall(intervalMs: number): Response {
  let timer: ReturnType<typeof setInterval> | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      timer = setInterval(() => controller.enqueue(new TextEncoder().encode("\n")), intervalMs);
    },
    cancel() {
      clearInterval(timer);
    },
  });
  return new Response(body, { status: 200, headers: { "Content-Type": "application/json" } });
}
