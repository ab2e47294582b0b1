// The header every demonstrator page shares: the skip link, the brand, the
// navigation between the pages and the controller URL. A page writes only
//   <script src="js/site-header.js"></script>            (in <head>, classic, not a module)
//   <pmx-site-header current="chat.html"></pmx-site-header>   (first thing in <body>)
// where `current` names the page itself: its link gets aria-current="page".
//
// This is a classic script on purpose: it runs while the page is parsed, so the
// header exists before the first paint (no jump) and before the page's modules run:
// common.js rewrites the `a[data-keep]` links (to keep `?controller=`) and fills
// `#controller-url` when it is evaluated, and both must be in the document by then.
'use strict';
{
  // [href, label, keep ?controller= on the link (the home page asks for it itself)]
  const PAGES = [
    ['index.html', 'Home', false],
    ['chat.html', 'Chat room', true],
    ['booth.html', 'Voting booth', true],
    ['results.html', 'Results', true],
    ['mixnet.html', 'Mix-net view', true],
    ['contributor.html', 'Contribute', true],
  ];

  const make = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    node.append(...children);
    return node;
  };

  class SiteHeader extends HTMLElement {
    connectedCallback() {
      if (this.hasChildNodes()) return; // rendered once; moving the element keeps it
      const current = this.getAttribute('current');
      if (!PAGES.some(([href]) => href === current)) {
        console.error(`pmx-site-header: current="${current}" is not one of the pages`);
      }
      const nav = make('nav', { 'aria-label': 'Demonstrators' });
      for (const [href, label, keep] of PAGES) {
        const a = make('a', { href }, label);
        if (keep) a.setAttribute('data-keep', '');
        if (href === current) a.setAttribute('aria-current', 'page');
        nav.append(a);
      }
      this.append(
        make('a', { class: 'skip', href: '#main' }, 'Skip to content'),
        make(
          'header',
          { class: 'top' },
          make('span', { class: 'brand' }, 'panoramix'),
          nav,
          make('span', { class: 'muted' }, 'controller: ', make('span', { id: 'controller-url', class: 'mono' })),
        ),
      );
    }
  }

  customElements.define('pmx-site-header', SiteHeader);
}
