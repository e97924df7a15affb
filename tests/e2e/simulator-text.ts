/**
 * The agent simulator's answer to `message`, asked non-streamed through the OpenClaw Responses
 * endpoint: the truth a screen must end with (the text is the same on every protocol).
 */
export async function simulatorText(agentSimUrl: string, message: string): Promise<string> {
  const response = await fetch(`${agentSimUrl}/openclaw/v1/responses`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer sim-dev-token" },
    body: JSON.stringify({ model: "openclaw", input: message, stream: false }),
  });
  if (response.status !== 200)
    throw new Error(`The simulator answered ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as {
    output: { type: string; content?: { type: string; text: string }[] }[];
  };
  return body.output
    .flatMap((item) => (item.type === "message" ? (item.content ?? []) : []))
    .filter((part) => part.type === "output_text")
    .map((part) => part.text)
    .join("");
}
