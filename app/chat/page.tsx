import { ChatScreen } from "../components/chat-screen.tsx";

export default function NewChatPage() {
  return <ChatScreen />;
}
