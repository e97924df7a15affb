import { ChatView } from "../../components/chat-view.tsx";
import { SignedInOnly } from "../../components/signed-in-only.tsx";

export default async function SessionPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return (
    <SignedInOnly>
      <ChatView initialSessionId={id} />
    </SignedInOnly>
  );
}
