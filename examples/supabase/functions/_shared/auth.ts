/**
 * Who calls a function: a signed-in user (their JWT checked by Supabase Auth with
 * `auth.getUser(token)`), or the service (the service-role key itself).
 */

import { isAuthApiError, type SupabaseClient } from "@supabase/supabase-js";

/** A user token was accepted, or refused with a reason the 401 body repeats. */
export type UserCheck =
  | { readonly kind: "user"; readonly userId: string }
  | { readonly kind: "refused"; readonly message: string };

/** Asks Auth who a token belongs to. Throws when Auth itself cannot answer (network, 5xx). */
export interface UserVerifier {
  verify(token: string): Promise<UserCheck>;
}

/** The caller of process-plan-queue: the service, a valid non-service caller, or nobody. */
export type ServiceCheck =
  | { readonly kind: "service" }
  | { readonly kind: "forbidden"; readonly message: string }
  | { readonly kind: "unauthenticated"; readonly message: string };

/** The token of `Authorization: Bearer <token>`, or null when there is none. */
export function bearerToken(request: Request): string | null {
  const header = request.headers.get("authorization");
  if (header === null) return null;
  const match = /^bearer\s+(\S+)\s*$/i.exec(header.trim());
  return match?.[1] ?? null;
}

/** Supabase Auth's answer for `GET /auth/v1/user` with the token. */
export function supabaseUserVerifier(client: SupabaseClient): UserVerifier {
  return {
    async verify(token: string): Promise<UserCheck> {
      const { data, error } = await client.auth.getUser(token);
      if (error !== null) {
        const status = error.status ?? 0;
        if (isAuthApiError(error) && status >= 400 && status < 500) {
          return { kind: "refused", message: `the access token was refused: ${error.message}` };
        }
        throw new Error(`Supabase Auth could not check the token (status ${status})`);
      }
      if (!data.user?.id) return { kind: "refused", message: "the access token names no user" };
      return { kind: "user", userId: data.user.id };
    },
  };
}

/** Equality of two secrets in time independent of where they differ. */
export function sameSecret(given: string, expected: string): boolean {
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  let difference = a.length ^ b.length;
  for (let index = 0; index < b.length; index++) {
    difference |= (a[index] ?? 0) ^ (b[index] ?? 0);
  }
  return difference === 0;
}

/**
 * process-plan-queue's caller check: the service-role key passes; the anon key or a valid
 * user token is a known caller without the service role (403); anything else is 401.
 */
export async function checkServiceCaller(
  request: Request,
  keys: { readonly serviceRoleKey: string; readonly anonKey: string | null },
  users: UserVerifier,
): Promise<ServiceCheck> {
  const token = bearerToken(request);
  if (token === null) {
    return { kind: "unauthenticated", message: "missing Authorization: Bearer <service role key>" };
  }
  if (sameSecret(token, keys.serviceRoleKey)) return { kind: "service" };
  const forbidden = {
    kind: "forbidden",
    message: "process-plan-queue needs the service role key",
  } as const;
  if (keys.anonKey !== null && sameSecret(token, keys.anonKey)) return forbidden;
  const user = await users.verify(token);
  if (user.kind === "user") return forbidden;
  return { kind: "unauthenticated", message: user.message };
}
