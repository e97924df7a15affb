import { SignedInOnly } from "../../../components/signed-in-only.tsx";
import { PlainChat } from "../plain-chat.tsx";

/** `/examples/use-chat/<chat id>`: a plain `useChat` page; the id in the URL makes a reload resume. */
export default async function UseChatExamplePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return (
    <SignedInOnly>
      <PlainChat id={id} />
    </SignedInOnly>
  );
}
