"use client";

import { useEffect, useLayoutEffect, useRef } from "react";

const NEAR_BOTTOM_PX = 80;

/**
 * Keeps the window scrolled to the end while `content` grows, as long as the reader was already at
 * the end; scrolling up to read stops the following until they scroll back down.
 */
export function useStickToBottom(content: unknown): void {
  const following = useRef(true);
  useEffect(() => {
    const track = () => {
      const { scrollHeight } = document.documentElement;
      following.current = window.innerHeight + window.scrollY >= scrollHeight - NEAR_BOTTOM_PX;
    };
    window.addEventListener("scroll", track, { passive: true });
    return () => window.removeEventListener("scroll", track);
  }, []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the effect must run whenever the content changes.
  useLayoutEffect(() => {
    if (following.current) window.scrollTo({ top: document.documentElement.scrollHeight });
  }, [content]);
}
