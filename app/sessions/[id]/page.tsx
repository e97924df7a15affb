import { ChatScreen } from "../../components/chat-screen.tsx";

export default async function SessionPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <ChatScreen sessionId={id} />;
}
