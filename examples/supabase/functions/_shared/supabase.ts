/**
 * supabase-js clients for the functions: one service-role client per key (RPCs and the
 * job table), and an Auth client that asks who a user token belongs to. No session is
 * stored or refreshed: every call carries its key.
 */

import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import type { PlatformSettings } from "./config.ts";

const clients = new Map<string, SupabaseClient>();

const SERVER_AUTH = {
  persistSession: false,
  autoRefreshToken: false,
  detectSessionInUrl: false,
} as const;

/** The service-role client for these settings, created once per URL and key. */
export function serviceClient(platform: PlatformSettings): SupabaseClient {
  return cached(
    `service ${platform.supabaseUrl} ${platform.serviceRoleKey}`,
    () => createClient(platform.supabaseUrl, platform.serviceRoleKey, { auth: SERVER_AUTH }),
  );
}

/**
 * The client whose `auth.getUser(token)` verifies a user's token with Supabase Auth; it
 * sends the anon key as `apikey` when there is one (the service key otherwise).
 */
export function authClient(platform: PlatformSettings): SupabaseClient {
  const key = platform.anonKey ?? platform.serviceRoleKey;
  return cached(
    `auth ${platform.supabaseUrl} ${key}`,
    () => createClient(platform.supabaseUrl, key, { auth: SERVER_AUTH }),
  );
}

function cached(key: string, make: () => SupabaseClient): SupabaseClient {
  let client = clients.get(key);
  if (client === undefined) {
    client = make();
    clients.set(key, client);
  }
  return client;
}
