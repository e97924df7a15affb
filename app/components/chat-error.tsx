/** A refused request or a failed session, said plainly. */
export function ChatError({ code, message }: { code: string; message: string }) {
  return (
    <p role="alert" className="error chat-error" data-testid="chat-error" data-code={code}>
      {message}
    </p>
  );
}
