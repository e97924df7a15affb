"use client";

import { usePathname } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { ChatView } from "./chat-view.tsx";
import { SignedInOnly } from "./signed-in-only.tsx";

/** The chat page for a signed-in user: a new conversation, or the session `sessionId`. */
export function ChatScreen({ sessionId }: { sessionId?: string }) {
  // A chat started on /chat renames the URL to /sessions/<id> without remounting. Following
  // "New chat" from there lands on the same page component, so a return to /chat starts a fresh view.
  const pathname = usePathname();
  const previousPathname = useRef(pathname);
  const [conversationGeneration, setConversationGeneration] = useState(0);
  useEffect(() => {
    if (pathname === "/chat" && previousPathname.current !== "/chat")
      setConversationGeneration((count) => count + 1);
    previousPathname.current = pathname;
  }, [pathname]);
  return (
    <SignedInOnly>
      <ChatView key={conversationGeneration} initialSessionId={sessionId} />
    </SignedInOnly>
  );
}
