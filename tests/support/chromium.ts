/** The Chromium the browser tests launch: Debian's, or CHROMIUM_PATH on other systems. */
export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
}
