import { ChatView } from "../components/chat-view.tsx";
import { SignedInOnly } from "../components/signed-in-only.tsx";

export default function NewChatPage() {
  return (
    <SignedInOnly>
      <ChatView />
    </SignedInOnly>
  );
}
