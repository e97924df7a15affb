"use client";

import { memo, useMemo } from "react";
import Markdown, { type Components } from "react-markdown";
import rehypeSanitize from "rehype-sanitize";
import { rehypeImagesAsLinks } from "./images-as-links.ts";
import { splitMarkdownBlocks } from "./markdown-blocks.ts";

// Module-level so every render passes the same references and memoised blocks stay untouched.
const rehypePlugins = [rehypeSanitize, rehypeImagesAsLinks];
const components: Components = {
  a: ({ node: _node, ...props }) => <a {...props} target="_blank" rel="noopener noreferrer" />,
  // rehypeImagesAsLinks leaves no image; should one ever get here, it is still never fetched.
  img: () => null,
};

/**
 * Sanitised Markdown: raw HTML in agent output is shown as text, never executed, and images are
 * links the user may open, never fetched by themselves.
 */
export const MarkdownText = memo(function MarkdownText({ source }: { source: string }) {
  return (
    <Markdown rehypePlugins={rehypePlugins} components={components}>
      {source}
    </Markdown>
  );
});

/**
 * Markdown that grows while it streams. Finished blocks (everything before the last blank line
 * outside a code fence) keep their props and are skipped by React; only the last block re-renders,
 * so each frame costs one small parse and the layout above the tail never moves.
 */
export function StreamingMarkdown({ text }: { text: string }) {
  const blocks = useMemo(() => splitMarkdownBlocks(text), [text]);
  return (
    <>
      {blocks.map((block, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: output only grows, so a block's position is its identity.
        <MarkdownText key={index} source={block} />
      ))}
    </>
  );
}
