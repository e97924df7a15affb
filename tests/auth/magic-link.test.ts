import { createClient } from "@supabase/supabase-js";
import { expect, test } from "vitest";
import { waitFor } from "../support/api.ts";
import { withStack } from "../support/fixtures.ts";
import { ALICE_ID, ANON_KEY, nodeClient, uniqueEmail } from "./fixture.ts";

const { stack } = withStack({ app: false });

/** The sign-in link in the newest email to `to`, once it arrived in the inbox. */
async function magicLinkFor(to: string, after = 0): Promise<string> {
  return waitFor(async () => {
    const all = (await (await fetch(`${stack.inbox.url}/api/messages`)).json()) as {
      to: string;
      subject: string;
      text: string;
    }[];
    const mails = all.filter((message) => message.to === to);
    if (mails.length <= after) return undefined;
    expect(mails[0]?.subject).toBe("Your Magic Link");
    return /(http\S+\/auth\/v1\/verify\?\S+)/.exec(mails[0]?.text ?? "")?.[1];
  });
}

test("signInWithOtp emails a link into the inbox that signs Alice in (implicit flow)", async () => {
  const supabase = nodeClient(stack.supabaseUrl);
  const { error } = await supabase.auth.signInWithOtp({
    email: "alice@example.com",
    options: { emailRedirectTo: "http://app.test/" },
  });
  expect(error).toBeNull();
  const link = await magicLinkFor("alice@example.com");
  const response = await fetch(link, { redirect: "manual" });
  expect(response.status).toBe(303);
  const location = new URL(response.headers.get("location") as string);
  expect(`${location.origin}${location.pathname}`).toBe("http://app.test/");
  const fragment = new URLSearchParams(location.hash.slice(1));
  expect(fragment.get("type")).toBe("magiclink");
  const { data } = await supabase.auth.getUser(fragment.get("access_token") as string);
  expect(data.user?.id).toBe(ALICE_ID);

  // The link works once.
  const again = await fetch(link, { redirect: "manual" });
  expect(
    new URLSearchParams(new URL(again.headers.get("location") as string).hash.slice(1)).get("error_code"),
  ).toBe("otp_expired");
});

test("the PKCE flow returns a code the same client exchanges for a session; a new email signs up", async () => {
  const storage = new Map<string, string>();
  const supabase = createClient(stack.supabaseUrl, ANON_KEY, {
    auth: {
      flowType: "pkce",
      persistSession: true,
      autoRefreshToken: false,
      detectSessionInUrl: false,
      storage: {
        getItem: (key) => storage.get(key) ?? null,
        setItem: (key, value) => void storage.set(key, value),
        removeItem: (key) => void storage.delete(key),
      },
    },
  });
  const email = uniqueEmail("magic");
  expect(
    (await supabase.auth.signInWithOtp({ email, options: { emailRedirectTo: "http://app.test/cb" } })).error,
  ).toBeNull();
  const response = await fetch(await magicLinkFor(email), { redirect: "manual" });
  const code = new URL(response.headers.get("location") as string).searchParams.get("code");
  expect(code).toBeTruthy();
  const { data, error } = await supabase.auth.exchangeCodeForSession(code as string);
  expect(error).toBeNull();
  expect(data.user?.email).toBe(email);
});

test("shouldCreateUser false for an unknown address sends nothing", async () => {
  const email = uniqueEmail("nobody");
  const { error } = await nodeClient(stack.supabaseUrl).auth.signInWithOtp({
    email,
    options: { shouldCreateUser: false },
  });
  expect(error?.status).toBe(422);
  const all = (await (await fetch(`${stack.inbox.url}/api/messages`)).json()) as { to: string }[];
  expect(all.filter((message) => message.to === email)).toEqual([]);
});
