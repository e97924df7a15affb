import type { Metadata } from "next";
import type { ReactNode } from "react";
import { processRuntime } from "@/process-runtime.ts";
import { Header } from "./components/header.tsx";
import { SupabaseProvider } from "./components/supabase-provider.tsx";
import "./globals.css";

export const metadata: Metadata = {
  title: "Overtime",
  description: "Long AI-agent sessions that never lose a token.",
};

export const dynamic = "force-dynamic";

export default function RootLayout({ children }: { children: ReactNode }) {
  // Only public values reach the browser: the Supabase URL and its publishable key.
  const { env } = processRuntime();
  return (
    <html lang="en">
      <body>
        <SupabaseProvider url={env.SUPABASE_URL} anonKey={env.SUPABASE_ANON_KEY}>
          <Header />
          <main>{children}</main>
        </SupabaseProvider>
      </body>
    </html>
  );
}
