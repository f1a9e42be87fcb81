/**
 * Lets media-chrome's web components style themselves under the app's strict CSP
 * (`style-src 'self'`, no 'unsafe-inline'; server/src/http/app.ts).
 *
 * media-chrome (and custom-media-element under hls-video-element) write `<style>` elements into
 * their shadow roots (muxinc/media-chrome#898), which that CSP blocks: the controls would render
 * unstyled and the seek bar, which edits rules of those sheets, would show no progress.
 * Constructable stylesheets are not inline styles, so this moves each template's CSS into one,
 * adopts it on the shadow root, and leaves the `<style>` element empty (the CSP allows exactly the
 * empty inline style by its hash) with `style.sheet` pointing at the constructed sheet, where
 * media-chrome looks its rules up. Installed once, before the first media-chrome element renders.
 */

const constructed = new WeakMap<HTMLStyleElement, CSSStyleSheet>();
let installed = false;

export function installShadowStyleAdoption(): void {
  if (installed || typeof ShadowRoot === 'undefined' || !('adoptedStyleSheets' in ShadowRoot.prototype)) return;
  const sheet = Object.getOwnPropertyDescriptor(HTMLStyleElement.prototype, 'sheet');
  const innerHTML = Object.getOwnPropertyDescriptor(ShadowRoot.prototype, 'innerHTML');
  if (!sheet?.get || !innerHTML?.set || !innerHTML.get) return;
  installed = true;
  const nativeSheet = sheet.get;
  const nativeInnerHTML = innerHTML.set;

  Object.defineProperty(HTMLStyleElement.prototype, 'sheet', {
    configurable: true,
    enumerable: sheet.enumerable ?? true,
    get(this: HTMLStyleElement) {
      return constructed.get(this) ?? (nativeSheet.call(this) as CSSStyleSheet | null);
    },
  });
  Object.defineProperty(ShadowRoot.prototype, 'innerHTML', {
    configurable: true,
    enumerable: innerHTML.enumerable ?? true,
    get: innerHTML.get,
    set(this: ShadowRoot, html: string) {
      nativeInnerHTML.call(this, '');
      this.append(withAdoptedStyles(this, String(html)));
    },
  });
  const prototype = ShadowRoot.prototype as ShadowRoot & { setHTMLUnsafe?: (html: string) => void };
  if (typeof prototype.setHTMLUnsafe === 'function') {
    prototype.setHTMLUnsafe = function (this: ShadowRoot, html: string) {
      this.replaceChildren(withAdoptedStyles(this, String(html)));
    };
  }
}

/** The parsed `html` with its styles emptied, their CSS adopted on `root` (replacing what was). */
function withAdoptedStyles(root: ShadowRoot, html: string): DocumentFragment {
  // A template's content is inert: its styles are neither applied nor checked against the CSP.
  const template = document.createElement('template');
  template.innerHTML = html;
  const sheets: CSSStyleSheet[] = [];
  for (const style of template.content.querySelectorAll('style')) {
    const media = style.getAttribute('media');
    const adopted = new CSSStyleSheet(media ? { media } : undefined);
    adopted.replaceSync(style.textContent ?? '');
    style.textContent = '';
    constructed.set(style, adopted);
    sheets.push(adopted);
  }
  root.adoptedStyleSheets = sheets;
  return template.content;
}
